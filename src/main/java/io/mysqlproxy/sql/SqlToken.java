package io.mysqlproxy.sql;

/** One token: its id and its text (strings without their quotes, comments without their markers). */
public record SqlToken(TokenId id, String text) {
}
