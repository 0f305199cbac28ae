package io.mysqlproxy.sql;

import java.util.Locale;

/**
 * Why a multiplexed client keeps its backend connection: session state that another connection would not have.
 * {@link #TRANSACTION} lasts while the server reports a transaction (or autocommit off); the others last until the
 * client disconnects or resets its connection ({@link #SCRIPT} also until the script lifts it).
 */
public enum PinReason {
    TRANSACTION, USER_VARIABLE, TEMPORARY_TABLE, NAMED_LOCK, TABLE_LOCK, SESSION_VARIABLE, PREPARED_STATEMENT,
    FOUND_ROWS, LAST_INSERT_ID, CONNECTION_ID, STORED_PROCEDURE, HANDLER, UNINSPECTED, COMMAND, EXCLUDED_USER,
    /** The server reported a change of session state ({@code CLIENT_SESSION_TRACK}) the proxy does not carry over. */
    SESSION_STATE,
    /** A Lua script asked for it ({@code proxy.connection.pinned = true}). */
    SCRIPT;

    /**
     * Whether a session pinned for this reason may hold locks or an open transaction on its connection, which must
     * end when the client leaves rather than when another client takes the connection over.
     */
    public boolean mayHoldLocks() {
        return switch (this) {
            case TRANSACTION, NAMED_LOCK, TABLE_LOCK, HANDLER, UNINSPECTED, COMMAND, SESSION_STATE,
                    STORED_PROCEDURE -> true;
            default -> false;
        };
    }

    /** The name in metrics and the admin interface. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
