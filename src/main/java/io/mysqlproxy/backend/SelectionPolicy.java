package io.mysqlproxy.backend;

import java.util.Locale;

/** How a new client connection picks among the healthy read-write backends. */
public enum SelectionPolicy {
    /** The first healthy backend in configuration order, as MySQL Proxy does without a script. */
    FIRST_AVAILABLE,
    ROUND_ROBIN,
    LEAST_CONNECTIONS,
    /** At random, in proportion to the weights. */
    WEIGHTED;

    public static SelectionPolicy parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text
                    + "' is not a policy (first-available, round-robin, least-connections, weighted)");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
