package io.mysqlproxy.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The session state a logged-in backend connection carries that a multiplexed statement may depend on: what the
 * proxy replayed or saw succeed on it. Owned by whoever holds the connection (a session, or the pool while idle).
 */
final class ConnectionState {
    final int charset;
    String database;
    /** Replayable SET statements run since the last reset, in order. */
    final List<String> sets = new ArrayList<>();
    long lastInsertId;
    /** A pinned client left state behind (variables, temporary tables, a transaction): reset before reuse. */
    boolean needsReset;
    /** The proxy prepared a client's statements on it ({@link PreparedStatements}): reset before another uses it. */
    boolean holdsStatements;
    /** How often multiplexed clients took the connection: a client finds out whether others used it since. */
    long borrows;
    /** When the connection last went idle (System.nanoTime), to know whether to ping it before use. */
    long idleSinceNanos = System.nanoTime();

    ConnectionState(int charset, String database) {
        this.charset = charset;
        this.database = database;
    }

    /** After COM_RESET_CONNECTION: the server forgot everything but the user and the database. */
    void reset() {
        sets.clear();
        lastInsertId = 0;
        needsReset = false;
        holdsStatements = false;
    }
}
