package io.mysqlproxy.protocol;

/**
 * The server error codes and SQL states the proxy itself sends. Codes are the server's own where one fits, so that
 * clients react to them as they would to the server. Codes 2000-2999 and 5000-5999 are never sent: they are the
 * client libraries' own, and libmariadb reads one arriving from the wire as a malformed packet (error 2027).
 *
 * @see <a href="https://mariadb.com/kb/en/mariadb-error-code-reference/">MariaDB error codes</a>
 */
public final class ErrorCodes {
    /** ER_UNKNOWN_ERROR: what MySQL Proxy answers for script failures. */
    public static final int UNKNOWN_ERROR = 1105;
    /** ER_CON_COUNT_ERROR. */
    public static final int TOO_MANY_CONNECTIONS = 1040;
    /** ER_HANDSHAKE_ERROR. */
    public static final int BAD_HANDSHAKE = 1043;
    /** ER_NOT_SUPPORTED_AUTH_MODE. */
    public static final int NOT_SUPPORTED_AUTH_MODE = 1251;
    /** ER_NET_PACKET_TOO_LARGE. */
    public static final int PACKET_TOO_LARGE = 1153;
    /** ER_NET_READ_INTERRUPTED: a peer stopped sending in the middle of a packet or exchange. */
    public static final int NET_READ_INTERRUPTED = 1159;
    /** ER_SERVER_SHUTDOWN. */
    public static final int SERVER_SHUTDOWN = 1053;
    /** ER_SERVER_ISNT_AVAILABLE (MySQL): no backend could be reached or logged in to. */
    public static final int NO_BACKEND = 3169;
    /** ER_SECURE_TRANSPORT_REQUIRED. */
    public static final int SECURE_TRANSPORT_REQUIRED = 3159;
    /** ER_CLIENT_INTERACTION_TIMEOUT. */
    public static final int CLIENT_IDLE_TIMEOUT = 4031;
    /** ER_QUERY_TIMEOUT. */
    public static final int QUERY_TIMEOUT = 3024;

    /** ER_NO_SUCH_THREAD. */
    public static final int NO_SUCH_THREAD = 1094;
    /** ER_KILL_DENIED_ERROR. */
    public static final int KILL_DENIED = 1095;
    /** ER_CONNECTION_KILLED (MariaDB). */
    public static final int CONNECTION_KILLED = 1927;
    /** ER_ACCESS_DENIED_ERROR. */
    public static final int ACCESS_DENIED = 1045;
    /** ER_HOST_IS_BLOCKED. */
    public static final int HOST_BLOCKED = 1129;
    /** ER_UNKNOWN_COM_ERROR. */
    public static final int UNKNOWN_COMMAND = 1047;

    /** ER_LOCK_DEADLOCK: the transaction was rolled back and may be run again (what frameworks retry on). */
    public static final int LOCK_DEADLOCK = 1213;

    public static final String STATE_GENERAL = "HY000";
    /** Serialization failure: the transaction was rolled back. */
    public static final String STATE_ROLLED_BACK = "40001";
    public static final String STATE_KILLED = "70100";
    /** MySQL Proxy's SQL state for its own errors. */
    public static final String STATE_PROXY = "07000";
    public static final String STATE_CONNECTION_FAILURE = "08S01";
    public static final String STATE_CONNECTION_REJECTED = "08004";
    public static final String STATE_ACCESS_DENIED = "28000";

    private ErrorCodes() {
    }
}
