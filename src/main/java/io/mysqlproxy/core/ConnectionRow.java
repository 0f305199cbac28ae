package io.mysqlproxy.core;

/** One row of the admin table {@code connections}: a client session as the admin shows it. */
public record ConnectionRow(long id, String listener, String client, String user, String db, String backend,
                            String state, String command, long commandMillis, String query, String pinned) {
}
