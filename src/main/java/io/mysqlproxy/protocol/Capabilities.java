package io.mysqlproxy.protocol;

/**
 * Capability flags exchanged in the handshake. Bits 32 and above are MariaDB's extended capabilities, carried in
 * the handshake's filler bytes when the server does not set {@link #CLIENT_MYSQL}.
 *
 * @see <a href="https://dev.mysql.com/doc/dev/mysql-server/latest/group__group__cs__capabilities__flags.html">Capability flags</a>
 * @see <a href="https://mariadb.com/kb/en/connection/#capabilities">MariaDB capabilities</a>
 */
public final class Capabilities {
    /** Set by MySQL servers; MariaDB leaves it clear and uses the extended capabilities instead. */
    public static final long CLIENT_MYSQL = 1L;
    /** The same bit as {@link #CLIENT_MYSQL} in a client's flags: it asks for the 4.1 password hash. */
    public static final long CLIENT_LONG_PASSWORD_FLAG = 1L;
    public static final long CLIENT_FOUND_ROWS = 1L << 1;
    public static final long CLIENT_LONG_FLAG = 1L << 2;
    public static final long CLIENT_CONNECT_WITH_DB = 1L << 3;
    public static final long CLIENT_NO_SCHEMA = 1L << 4;
    public static final long CLIENT_COMPRESS = 1L << 5;
    public static final long CLIENT_ODBC = 1L << 6;
    public static final long CLIENT_LOCAL_FILES = 1L << 7;
    public static final long CLIENT_IGNORE_SPACE = 1L << 8;
    public static final long CLIENT_PROTOCOL_41 = 1L << 9;
    public static final long CLIENT_INTERACTIVE = 1L << 10;
    public static final long CLIENT_SSL = 1L << 11;
    public static final long CLIENT_IGNORE_SIGPIPE = 1L << 12;
    public static final long CLIENT_TRANSACTIONS = 1L << 13;
    public static final long CLIENT_RESERVED = 1L << 14;
    public static final long CLIENT_SECURE_CONNECTION = 1L << 15;
    public static final long CLIENT_MULTI_STATEMENTS = 1L << 16;
    public static final long CLIENT_MULTI_RESULTS = 1L << 17;
    public static final long CLIENT_PS_MULTI_RESULTS = 1L << 18;
    public static final long CLIENT_PLUGIN_AUTH = 1L << 19;
    public static final long CLIENT_CONNECT_ATTRS = 1L << 20;
    public static final long CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 1L << 21;
    public static final long CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS = 1L << 22;
    public static final long CLIENT_SESSION_TRACK = 1L << 23;
    public static final long CLIENT_DEPRECATE_EOF = 1L << 24;
    public static final long CLIENT_OPTIONAL_RESULTSET_METADATA = 1L << 25;
    public static final long CLIENT_ZSTD_COMPRESSION = 1L << 26;
    public static final long CLIENT_QUERY_ATTRIBUTES = 1L << 27;
    /** MariaDB's progress reports (was CLIENT_PROGRESS_OBSOLETE, bit 29, in MySQL). */
    public static final long CLIENT_PROGRESS_OBSOLETE = 1L << 29;
    public static final long CLIENT_SSL_VERIFY_SERVER_CERT = 1L << 30;
    public static final long CLIENT_REMEMBER_OPTIONS = 1L << 31;

    public static final long MARIADB_CLIENT_PROGRESS = 1L << 32;
    public static final long MARIADB_CLIENT_COM_MULTI = 1L << 33;
    public static final long MARIADB_CLIENT_STMT_BULK_OPERATIONS = 1L << 34;
    public static final long MARIADB_CLIENT_EXTENDED_METADATA = 1L << 35;
    public static final long MARIADB_CLIENT_CACHE_METADATA = 1L << 36;
    public static final long MARIADB_CLIENT_BULK_UNIT_RESULTS = 1L << 37;

    /**
     * Capabilities the relay does not pass on, because they change the packet stream in ways the proxy's
     * response tracker cannot follow: compression wraps every packet; progress reports insert 0xFF packets in the
     * middle of results; cached metadata makes the column definitions of an execute response optional; COM_MULTI
     * and bulk unit results bundle several responses; optional result-set metadata drops column definitions; and
     * zstd is another compression. TLS is not relayed either: the proxy terminates it on each side itself.
     */
    public static final long UNSUPPORTED = CLIENT_COMPRESS | CLIENT_ZSTD_COMPRESSION | CLIENT_PROGRESS_OBSOLETE
            | CLIENT_OPTIONAL_RESULTSET_METADATA | MARIADB_CLIENT_PROGRESS | MARIADB_CLIENT_COM_MULTI
            | MARIADB_CLIENT_CACHE_METADATA | MARIADB_CLIENT_BULK_UNIT_RESULTS;

    private Capabilities() {
    }

    public static boolean has(long flags, long flag) {
        return (flags & flag) != 0;
    }
}
