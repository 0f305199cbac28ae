package io.mysqlproxy.config;

/**
 * How backends are probed. Without a user the probe connects and reads the server's greeting; with one it also
 * logs in (mysql_native_password) and runs {@code query}.
 */
public record HealthCheck(long intervalMillis, long timeoutMillis, int failuresToDown, int successesToUp,
                          String user, String password, String query) {
    public boolean logsIn() {
        return user != null && !user.isEmpty();
    }
}
