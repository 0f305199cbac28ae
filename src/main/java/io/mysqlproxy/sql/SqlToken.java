package io.mysqlproxy.sql;

/**
 * One token: its id and its text (strings without their quotes, comments without their markers), and where it
 * stands in the text it was read from ({@code start} inclusive, {@code end} exclusive; -1 for a token a script
 * built).
 */
public record SqlToken(TokenId id, String text, int start, int end) {
    public SqlToken(TokenId id, String text) {
        this(id, text, -1, -1);
    }
}
