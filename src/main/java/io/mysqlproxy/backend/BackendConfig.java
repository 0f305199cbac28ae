package io.mysqlproxy.backend;

import io.mysqlproxy.config.HostPort;

/** A backend as configured: where it is, what it may serve, and its share of new connections. */
public record BackendConfig(HostPort address, BackendRole role, int weight) {
    public static final int DEFAULT_PORT = 3306;

    public BackendConfig {
        if (weight < 1) {
            throw new IllegalArgumentException("backend " + address + ": weight must be at least 1");
        }
    }

    /** Parses {@code host:port} with an optional {@code @weight} suffix. */
    public static BackendConfig parse(String text, BackendRole role) {
        String s = text.trim();
        int weight = 1;
        int at = s.lastIndexOf('@');
        if (at >= 0) {
            try {
                weight = Integer.parseInt(s.substring(at + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "': weight is not a number");
            }
            s = s.substring(0, at);
        }
        return new BackendConfig(HostPort.parse(s, "127.0.0.1", DEFAULT_PORT), role, weight);
    }
}
