package io.mysqlproxy.config;

import java.util.Locale;

/**
 * How a listener spreads its clients' statements over its backends without a script.
 *
 * @param mode                     {@link Mode#NONE}: every statement goes where the client logged in;
 *                                 {@link Mode#READ_WRITE_SPLIT}: autocommit reads go to a read-only backend
 * @param maxReplicationLagSeconds a replica whose measured lag is higher (or unknown) gets no reads; negative: no
 *                                 limit
 */
public record RoutingConfig(Mode mode, long maxReplicationLagSeconds) {
    public static final RoutingConfig NONE = new RoutingConfig(Mode.NONE, -1);

    public enum Mode {
        NONE, READ_WRITE_SPLIT;

        public static Mode parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + text + "' is not a routing (none, read-write-split)");
            }
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    public RoutingConfig {
        if (mode == null) {
            throw new IllegalArgumentException("routing mode missing");
        }
    }

    /** Whether reads are sent to read-only backends. */
    public boolean splits() {
        return mode == Mode.READ_WRITE_SPLIT;
    }

    /** Whether a replica lagging {@code lagSeconds} behind (negative: not known) may serve reads. */
    public boolean lagAcceptable(long lagSeconds) {
        return maxReplicationLagSeconds < 0 || lagSeconds >= 0 && lagSeconds <= maxReplicationLagSeconds;
    }
}
