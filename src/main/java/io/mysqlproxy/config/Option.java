package io.mysqlproxy.config;

import java.util.Locale;

/**
 * Every option the proxy accepts, with MySQL Proxy's names where it had one. The same name is a command-line
 * option ({@code --name=value}), a key of the {@code [mysql-proxy]} section of a defaults file, and a Quarkus
 * property {@code mysqlproxy.name} (environment variable {@code MYSQLPROXY_NAME}).
 */
public enum Option {
    PROXY_ADDRESS("P", ":4040", OptionKind.ADDRESS,
            "address clients connect to (host:port, :port or [v6]:port); empty: no command-line listener"),
    PROXY_BACKEND_ADDRESSES("b", "127.0.0.1:3306", OptionKind.BACKENDS,
            "read-write backends, comma-separated or repeated; host:port[@weight]"),
    PROXY_READ_ONLY_BACKEND_ADDRESSES("r", "", OptionKind.BACKENDS,
            "read-only backends, comma-separated or repeated; host:port[@weight]"),
    PROXY_AUTO_BACKEND_ADDRESSES(null, "", OptionKind.BACKENDS,
            "backends whose role follows their server's read_only (the one writable server takes the writes); "
                    + "host:port[@weight]; needs --health-check-user"),
    PROXY_LUA_SCRIPT("s", "", OptionKind.FILE,
            "Lua script with the MySQL Proxy 0.8 API; re-read when the file changes"),
    PROXY_LUA_CANARY_SCRIPT(null, "", OptionKind.FILE,
            "a new version of the Lua script tried on some new connections first; rolled back when it errs more"),
    PROXY_LUA_CANARY_WEIGHT(null, "10", OptionKind.range(0, 100),
            "percent of new client connections that run the canary script"),
    PROXY_LUA_CANARY_MAX_ERROR_RATE(null, "0.01", OptionKind.FRACTION,
            "how much more often than the stable script (per query) the canary may fail a hook or refuse a query"
                    + " before it is rolled back"),
    PROXY_LUA_CANARY_MIN_QUERIES(null, "100", OptionKind.integer(1),
            "queries the canary runs before it is judged (or promoted)"),
    PROXY_LUA_CANARY_PROMOTE_AFTER(null, "0", OptionKind.SECONDS,
            "seconds after which a canary not rolled back becomes the stable script (0: never by itself)"),
    PROXY_BACKEND_POLICY(null, "first-available", OptionKind.oneOf("first-available", "round-robin", "least-connections", "weighted"),
            "how new connections pick a backend: first-available, round-robin, least-connections, weighted"),
    PROXY_MAX_CONNECTIONS(null, "auto", OptionKind.integerOrAuto(1),
            "client connections the listener accepts at once; more get error 1040 (auto: what the descriptor limit allows)"),
    PROXY_MAX_LOGINS(null, "auto", OptionKind.integerOrAuto(1),
            "logins in progress at once; a client beyond waits up to --proxy-login-queue-timeout, then gets error 1040"
                    + " (auto: an eighth of what the descriptor limit allows clients, between 16 and 256)"),
    PROXY_LOGIN_QUEUE_TIMEOUT(null, "1.0", OptionKind.SECONDS,
            "seconds a client beyond --proxy-max-logins waits for a login to end (0: refused at once)"),
    PROXY_MAX_PACKET_SIZE(null, "1073741824", OptionKind.integer(1024),
            "largest packet in bytes a client may send; larger ones get error 1153"),
    PROXY_CONNECT_TIMEOUT(null, "2.0", OptionKind.SECONDS,
            "seconds to connect to a backend before the next one is tried"),
    PROXY_HANDSHAKE_TIMEOUT(null, "10", OptionKind.SECONDS,
            "seconds a client has to finish logging in"),
    PROXY_IDLE_TIMEOUT(null, "28800", OptionKind.SECONDS,
            "seconds a client may stay idle between commands (0: forever)"),
    PROXY_READ_TIMEOUT(null, "28800", OptionKind.SECONDS,
            "seconds a backend may stay silent while a command waits for its result (0: forever)"),
    PROXY_WRITE_TIMEOUT(null, "28800", OptionKind.SECONDS,
            "seconds a client may leave a result unread (0: forever)"),
    PROXY_POOL_MAX_IDLE(null, "0", OptionKind.integer(0),
            "idle backend connections kept per backend and user for new clients (0: no pooling)"),
    PROXY_POOL_MIN_IDLE(null, "0", OptionKind.integer(0),
            "idle connections of a user that new clients of other users may not take, and the idle timeout does not close"),
    PROXY_POOL_IDLE_TIMEOUT(null, "60", OptionKind.SECONDS,
            "seconds an idle pooled connection is kept"),
    PROXY_POOL_MAX_AGE(null, "0", OptionKind.SECONDS,
            "seconds after it was opened a backend connection is closed instead of pooled (0: no limit)"),
    PROXY_POOL_PING_AFTER(null, "10", OptionKind.SECONDS,
            "seconds idle after which a pooled connection is pinged before a multiplexed statement uses it"),
    MULTIPLEXING(null, "false", OptionKind.BOOLEAN,
            "share backend connections between clients between transactions"),
    MULTIPLEXING_EXCLUDE_USERS(null, "", OptionKind.TEXT,
            "users whose clients are not multiplexed, comma-separated"),
    MULTIPLEXING_MAX_CONNECTIONS(null, "200", OptionKind.integer(1),
            "backend connections a multiplexing proxy opens per backend and listener at most; logins wait for a free one"),
    MULTIPLEXING_WAIT_TIMEOUT(null, "10", OptionKind.SECONDS,
            "seconds a multiplexed statement waits for a free backend connection before error 1040"),
    ROUTING(null, "none", OptionKind.oneOf("none", "read-write-split"),
            "none: statements go where the client logged in; read-write-split: autocommit reads go to a read-only "
                    + "backend, everything else to the read-write one"),
    BACKEND_ROLE_DISCOVERY(null, "static", OptionKind.oneOf("static", "read-only-flag"),
            "static: -b backends take writes, -r ones reads; read-only-flag: every backend's role follows its "
                    + "server's read_only (needs --health-check-user)"),
    MAX_REPLICATION_LAG(null, "", OptionKind.optional(OptionKind.integer(0)),
            "seconds of replication lag beyond which (or while it is unknown) a replica gets no reads; empty: no limit"),
    CAUSAL_READS(null, "none", OptionKind.oneOf("none", "local", "global"),
            "none: replicas answer with what they have; local: a read after the client's own write waits until the "
                    + "replica has it; global: every read waits for what the primary had when the read came"),
    CAUSAL_READS_TIMEOUT(null, "10", OptionKind.SECONDS,
            "seconds a replica may take to catch up for a causal read; after that the read goes to the primary"),
    TRANSACTION_REPLAY(null, "false", OptionKind.BOOLEAN,
            "replay a transaction cut by the loss of its primary on the next primary (splitting listeners)"),
    TRANSACTION_REPLAY_MAX_BYTES(null, "1048576", OptionKind.integer(0),
            "bytes of statements kept per transaction for a replay; a longer transaction is not replayed"),
    TRANSACTION_REPLAY_TIMEOUT(null, "30", OptionKind.SECONDS,
            "seconds a cut transaction waits for a primary to be replayed on"),
    PROXY_SSL_MODE(null, "disabled", OptionKind.oneOf("disabled", "optional", "required"),
            "TLS toward clients: disabled, optional, required"),
    PROXY_SSL_CERT(null, "", OptionKind.FILE,
            "PEM certificate chain presented to clients"),
    PROXY_SSL_KEY(null, "", OptionKind.FILE,
            "PEM private key (PKCS#8) of that certificate"),
    BACKEND_SSL_MODE(null, "disabled", OptionKind.oneOf("disabled", "preferred", "required"),
            "TLS toward backends: disabled, preferred, required"),
    BACKEND_SSL_CA(null, "", OptionKind.FILE,
            "PEM CA bundle that backend certificates are verified against (default: the JVM's)"),
    BACKEND_SSL_VERIFY(null, "true", OptionKind.BOOLEAN,
            "verify backend certificates and host names"),
    HEALTH_CHECK_INTERVAL(null, "1.0", OptionKind.SECONDS,
            "seconds between health checks of each backend"),
    HEALTH_CHECK_TIMEOUT(null, "1.0", OptionKind.SECONDS,
            "seconds a health check may take"),
    HEALTH_CHECK_FAILURES_TO_DOWN(null, "2", OptionKind.integer(1),
            "failed checks (or failed connections) that mark a backend down"),
    HEALTH_CHECK_SUCCESSES_TO_UP(null, "1", OptionKind.integer(1),
            "passed checks that mark a down backend up"),
    HEALTH_CHECK_USER(null, "", OptionKind.TEXT,
            "user the health check logs in as (mysql_native_password); empty: only read the greeting"),
    HEALTH_CHECK_PASSWORD(null, "", OptionKind.TEXT,
            "password of the health-check user"),
    HEALTH_CHECK_QUERY(null, "SELECT 1", OptionKind.TEXT,
            "query the health check runs after logging in"),
    LUA_THREADS(null, "0", OptionKind.integer(0),
            "Lua states, one thread and event loop each (0: one per event thread)"),
    LUA_SANDBOX(null, "true", OptionKind.BOOLEAN,
            "false gives trusted local scripts io, os, luajava, dofile and loadfile"),
    LUA_INSTRUCTION_BUDGET(null, "10000000", OptionKind.integer(0),
            "Lua instructions (and steps of library work) one hook call may run (0: unlimited)"),
    LUA_TIME_BUDGET(null, "5", OptionKind.SECONDS,
            "seconds one hook call may run (0: unlimited)"),
    LUA_MEMORY_BUDGET(null, "256", OptionKind.integer(0),
            "MiB one hook call may allocate; larger values are not built (0: unlimited)"),
    LUA_PATH(null, "", OptionKind.TEXT,
            "MySQL Proxy's: ;-separated templates (/dir/?.lua) of further files require may load"),
    LUA_CPATH(null, "", OptionKind.TEXT, "MySQL Proxy's: accepted, but C modules cannot load (a warning says so)"),
    LUA_ENV(null, "", OptionKind.TEXT,
            "environment variables os.getenv may read in the sandbox, comma-separated (none by default)"),
    LUA_HOOK_ERROR(null, "error", OptionKind.oneOf("error", "forward"),
            "on a runtime error in a hook: error (send the client an ERR) or forward (MySQL Proxy's: send the query on)"),
    ADMIN_ADDRESS(null, "127.0.0.1:4041", OptionKind.ADDRESS,
            "address of the admin interface (MySQL protocol, SQL answered by a Lua script); empty: none"),
    ADMIN_USERNAME(null, "admin", OptionKind.TEXT,
            "user name of the admin interface"),
    ADMIN_PASSWORD(null, "", OptionKind.TEXT,
            "password of the admin interface (mysql_native_password); empty: every admin login is refused"),
    ADMIN_LUA_SCRIPT(null, "", OptionKind.FILE,
            "Lua script answering the admin interface; empty: the bundled lua/admin.lua"),
    ADMIN_MAX_FAILED_LOGINS(null, "5", OptionKind.integer(1),
            "failed admin logins a client host may make in a minute before it is refused for a minute"),
    QUERY_DIGESTS(null, "true", OptionKind.BOOLEAN,
            "collect statistics per normalized statement (the admin table query_digests)"),
    QUERY_DIGESTS_MAX(null, "5000", OptionKind.integer(1),
            "distinct statement shapes kept; further shapes count together in one row"),
    QUERY_DIGEST_TEXT_LENGTH(null, "2048", OptionKind.integer(16),
            "bytes of a statement read for its digest and the slow-query log; the rest is cut"),
    SLOW_QUERY_LOG(null, "0", OptionKind.SECONDS,
            "seconds from which a statement is logged as slow (category io.mysqlproxy.slowlog; 0: off)"),
    READINESS_REQUIRES_BACKEND(null, "true", OptionKind.BOOLEAN,
            "ready only while every listener has a backend that takes connections"),
    LOG_FORMAT(null, "text", OptionKind.oneOf("text", "json"),
            "console log lines as text or json (one JSON object per line)"),
    KUBERNETES(null, "auto", OptionKind.oneOf("auto", "true", "false", "yes", "no", "on", "off", "1", "0"),
            "run the operator (listeners from MySQLProxy resources): true, false, or auto (inside a cluster)"),
    SHUTDOWN_TIMEOUT(null, "30", OptionKind.SECONDS,
            "seconds running commands may finish after SIGTERM"),
    EVENT_THREADS(null, "0", OptionKind.integer(0),
            "event-loop threads (0: one per CPU core)"),
    LOG_LEVEL(null, "", OptionKind.oneOf("", "error", "critical", "warning", "message", "info", "debug"),
            "MySQL Proxy's log level of the proxy's own messages: error, critical, warning, message, info, debug"),
    LOG_FILE(null, "", OptionKind.TEXT, "MySQL Proxy's: also write the log to this file"),
    PID_FILE(null, "", OptionKind.TEXT, "MySQL Proxy's: write the process id to this file (removed at exit)"),
    MAX_OPEN_FILES(null, "", OptionKind.optional(OptionKind.integer(1)),
            "MySQL Proxy's: descriptors the proxy needs; it cannot raise its limit itself, and warns when it is lower"),
    DEFAULTS_FILE(null, "", OptionKind.FILE,
            "ini file whose [mysql-proxy] section sets options (0660 or stricter; command line only)"),
    // MySQL Proxy's options that have no meaning here: accepted (a warning says why) so that its command lines run
    DAEMON("runs in the foreground: a supervisor (Kubernetes, systemd) runs it in the background"),
    KEEPALIVE("a supervisor (Kubernetes, systemd) restarts the process"),
    USER("run it as that user with your supervisor or container image"),
    BASEDIR("relative paths are taken from the working directory"),
    PLUGINS("the proxy and admin plugins are built in (an empty --admin-address turns the admin interface off)"),
    PLUGIN_DIR("the proxy and admin plugins are built in"),
    LOG_USE_SYSLOG("logs go to the console (--log-format=json for collectors)"),
    LOG_BACKTRACE_ON_CRASH("the JVM reports its own crashes"),
    PROXY_SKIP_PROFILING("statistics cost next to nothing here (--query-digests=false turns them off)"),
    PROXY_POOL_NO_CHANGE_USER("a pooled connection is given to a client with COM_CHANGE_USER, so that the server "
            + "checks the login");

    private final String shortName;
    private final String defaultValue;
    private final OptionKind kind;
    private final String description;
    /** For an option of MySQL Proxy's that means nothing here: why it is ignored; else null. */
    private final String ignoredBecause;

    Option(String shortName, String defaultValue, OptionKind kind, String description) {
        this.shortName = shortName;
        this.defaultValue = defaultValue;
        this.kind = kind;
        this.description = description;
        this.ignoredBecause = null;
    }

    /** One of MySQL Proxy's options that is accepted and ignored (a flag on the command line, or with a value). */
    Option(String ignoredBecause) {
        this.shortName = null;
        this.defaultValue = "";
        this.kind = OptionKind.TEXT;
        this.description = "MySQL Proxy's, accepted and ignored: " + ignoredBecause;
        this.ignoredBecause = ignoredBecause;
    }

    public OptionKind kind() {
        return kind;
    }

    /** Why this option of MySQL Proxy's is ignored, or null for an option the proxy uses. */
    public String ignoredBecause() {
        return ignoredBecause;
    }

    /** MySQL Proxy's flags, given without a value on its command lines. */
    public boolean flag() {
        return this == DAEMON || this == KEEPALIVE || this == LOG_USE_SYSLOG || this == LOG_BACKTRACE_ON_CRASH
                || this == PROXY_SKIP_PROFILING || this == PROXY_POOL_NO_CHANGE_USER;
    }

    /** The long name, as on the command line without the dashes. */
    public String key() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public String shortName() {
        return shortName;
    }

    public String defaultValue() {
        return defaultValue;
    }

    public String description() {
        return description;
    }

    /** Options that may be given several times, their values joined with commas. */
    public boolean repeatable() {
        return this == PROXY_BACKEND_ADDRESSES || this == PROXY_READ_ONLY_BACKEND_ADDRESSES
                || this == PROXY_AUTO_BACKEND_ADDRESSES;
    }

    public static Option byKey(String key) {
        for (Option o : values()) {
            if (o.key().equals(key)) {
                return o;
            }
        }
        return null;
    }

    public static Option byShortName(String s) {
        for (Option o : values()) {
            if (s.equals(o.shortName)) {
                return o;
            }
        }
        return null;
    }
}
