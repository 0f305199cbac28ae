package io.mysqlproxy.config;

import java.util.Locale;

/**
 * Every option the proxy accepts, with MySQL Proxy's names where it had one. The same name is a command-line
 * option ({@code --name=value}), a key of the {@code [mysql-proxy]} section of a defaults file, and a Quarkus
 * property {@code mysqlproxy.name} (environment variable {@code MYSQLPROXY_NAME}).
 */
public enum Option {
    PROXY_ADDRESS("P", ":4040", "address clients connect to (host:port, :port or [v6]:port); empty: no command-line listener"),
    PROXY_BACKEND_ADDRESSES("b", "127.0.0.1:3306", "read-write backends, comma-separated or repeated; host:port[@weight]"),
    PROXY_READ_ONLY_BACKEND_ADDRESSES("r", "", "read-only backends, comma-separated or repeated; host:port[@weight]"),
    PROXY_LUA_SCRIPT("s", "", "Lua script with the MySQL Proxy 0.8 API; re-read when the file changes"),
    PROXY_BACKEND_POLICY(null, "first-available", "how new connections pick a backend: first-available, round-robin, least-connections, weighted"),
    PROXY_MAX_CONNECTIONS(null, "10000", "client connections the listener accepts at once; more get error 1040"),
    PROXY_MAX_PACKET_SIZE(null, "1073741824", "largest packet in bytes a client may send; larger ones get error 1153"),
    PROXY_CONNECT_TIMEOUT(null, "2.0", "seconds to connect to a backend before the next one is tried"),
    PROXY_HANDSHAKE_TIMEOUT(null, "10", "seconds a client has to finish logging in"),
    PROXY_IDLE_TIMEOUT(null, "28800", "seconds a client may stay idle between commands (0: forever)"),
    PROXY_READ_TIMEOUT(null, "28800", "seconds a backend may stay silent while a command waits for its result (0: forever)"),
    PROXY_WRITE_TIMEOUT(null, "28800", "seconds a client may leave a result unread (0: forever)"),
    PROXY_POOL_MAX_IDLE(null, "0", "idle backend connections kept per backend and user for new clients (0: no pooling)"),
    PROXY_POOL_MIN_IDLE(null, "0", "idle connections of a user that new clients of other users may not take, and the idle timeout does not close"),
    PROXY_POOL_IDLE_TIMEOUT(null, "60", "seconds an idle pooled connection is kept"),
    PROXY_POOL_MAX_AGE(null, "0", "seconds after it was opened a backend connection is closed instead of pooled (0: no limit)"),
    PROXY_POOL_PING_AFTER(null, "10", "seconds idle after which a pooled connection is pinged before a multiplexed statement uses it"),
    MULTIPLEXING(null, "false", "share backend connections between clients between transactions"),
    MULTIPLEXING_EXCLUDE_USERS(null, "", "users whose clients are not multiplexed, comma-separated"),
    MULTIPLEXING_MAX_CONNECTIONS(null, "200", "backend connections a multiplexing proxy opens per backend and listener at most; logins wait for a free one"),
    MULTIPLEXING_WAIT_TIMEOUT(null, "10", "seconds a multiplexed statement waits for a free backend connection before error 1040"),
    PROXY_SSL_MODE(null, "disabled", "TLS toward clients: disabled, optional, required"),
    PROXY_SSL_CERT(null, "", "PEM certificate chain presented to clients"),
    PROXY_SSL_KEY(null, "", "PEM private key (PKCS#8) of that certificate"),
    BACKEND_SSL_MODE(null, "disabled", "TLS toward backends: disabled, preferred, required"),
    BACKEND_SSL_CA(null, "", "PEM CA bundle that backend certificates are verified against (default: the JVM's)"),
    BACKEND_SSL_VERIFY(null, "true", "verify backend certificates and host names"),
    HEALTH_CHECK_INTERVAL(null, "1.0", "seconds between health checks of each backend"),
    HEALTH_CHECK_TIMEOUT(null, "1.0", "seconds a health check may take"),
    HEALTH_CHECK_FAILURES_TO_DOWN(null, "2", "failed checks (or failed connections) that mark a backend down"),
    HEALTH_CHECK_SUCCESSES_TO_UP(null, "1", "passed checks that mark a down backend up"),
    HEALTH_CHECK_USER(null, "", "user the health check logs in as (mysql_native_password); empty: only read the greeting"),
    HEALTH_CHECK_PASSWORD(null, "", "password of the health-check user"),
    HEALTH_CHECK_QUERY(null, "SELECT 1", "query the health check runs after logging in"),
    LUA_THREADS(null, "0", "Lua states, one thread and event loop each (0: one per event thread)"),
    LUA_SANDBOX(null, "true", "false gives trusted local scripts io, os, luajava, dofile and loadfile"),
    LUA_INSTRUCTION_BUDGET(null, "10000000", "Lua instructions (and steps of library work) one hook call may run (0: unlimited)"),
    LUA_TIME_BUDGET(null, "5", "seconds one hook call may run (0: unlimited)"),
    LUA_MEMORY_BUDGET(null, "256", "MiB one hook call may allocate; larger values are not built (0: unlimited)"),
    LUA_HOOK_ERROR(null, "error", "on a runtime error in a hook: error (send the client an ERR) or forward (MySQL Proxy's: send the query on)"),
    ADMIN_ADDRESS(null, "127.0.0.1:4041", "address of the admin interface (MySQL protocol, SQL answered by a Lua script); empty: none"),
    ADMIN_USERNAME(null, "admin", "user name of the admin interface"),
    ADMIN_PASSWORD(null, "", "password of the admin interface (mysql_native_password); empty: every admin login is refused"),
    ADMIN_LUA_SCRIPT(null, "", "Lua script answering the admin interface; empty: the bundled lua/admin.lua"),
    ADMIN_MAX_FAILED_LOGINS(null, "5", "failed admin logins a client host may make in a minute before it is refused for a minute"),
    QUERY_DIGESTS(null, "true", "collect statistics per normalized statement (the admin table query_digests)"),
    QUERY_DIGESTS_MAX(null, "5000", "distinct statement shapes kept; further shapes count together in one row"),
    QUERY_DIGEST_TEXT_LENGTH(null, "2048", "bytes of a statement read for its digest and the slow-query log; the rest is cut"),
    SLOW_QUERY_LOG(null, "0", "seconds from which a statement is logged as slow (category io.mysqlproxy.slowlog; 0: off)"),
    READINESS_REQUIRES_BACKEND(null, "true", "ready only while every listener has a backend that takes connections"),
    LOG_FORMAT(null, "text", "console log lines as text or json (one JSON object per line)"),
    KUBERNETES(null, "auto", "run the operator (listeners from MySQLProxy resources): true, false, or auto (inside a cluster)"),
    SHUTDOWN_TIMEOUT(null, "30", "seconds running commands may finish after SIGTERM"),
    EVENT_THREADS(null, "0", "event-loop threads (0: one per CPU core)"),
    DEFAULTS_FILE(null, "", "ini file whose [mysql-proxy] section sets options (0660 or stricter; command line only)");

    private final String shortName;
    private final String defaultValue;
    private final String description;

    Option(String shortName, String defaultValue, String description) {
        this.shortName = shortName;
        this.defaultValue = defaultValue;
        this.description = description;
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
        return this == PROXY_BACKEND_ADDRESSES || this == PROXY_READ_ONLY_BACKEND_ADDRESSES;
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
