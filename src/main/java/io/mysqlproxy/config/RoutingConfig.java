package io.mysqlproxy.config;

import java.util.Locale;

/**
 * How a listener spreads its clients' statements over its backends without a script.
 *
 * @param mode                     {@link Mode#NONE}: every statement goes where the client logged in;
 *                                 {@link Mode#READ_WRITE_SPLIT}: autocommit reads go to a read-only backend
 * @param maxReplicationLagSeconds a replica whose measured lag is higher (or unknown) gets no reads; negative: no
 *                                 limit
 * @param causalReads              what a replica must have applied before it answers a read
 * @param causalReadsTimeoutMillis how long a replica may take to get there; after that the read goes to the primary
 * @param transactionReplay        whether a transaction cut by the loss of its primary is replayed on another one
 */
public record RoutingConfig(Mode mode, long maxReplicationLagSeconds, CausalReads causalReads,
                            long causalReadsTimeoutMillis, TransactionReplay transactionReplay) {
    public static final long DEFAULT_CAUSAL_READS_TIMEOUT_MILLIS = 10_000;
    public static final RoutingConfig NONE = new RoutingConfig(Mode.NONE, -1);

    /**
     * Replaying an open transaction whose primary was lost, on the primary there is next.
     *
     * @param enabled       whether the statements of open transactions are kept for it
     * @param maxBytes      statements (and results' checksums) kept per transaction at most; a longer transaction
     *                      is not replayed
     * @param timeoutMillis how long a cut transaction waits for a primary to replay on
     */
    public record TransactionReplay(boolean enabled, long maxBytes, long timeoutMillis) {
        public static final TransactionReplay OFF = new TransactionReplay(false, 1 << 20, 30_000);

        public TransactionReplay {
            if (maxBytes < 0 || timeoutMillis < 0) {
                throw new IllegalArgumentException("transaction replay limits must not be negative");
            }
        }
    }

    public enum Mode {
        NONE, READ_WRITE_SPLIT;

        public static Mode parse(String text) {
            return RoutingConfig.parse(Mode.class, text, "routing");
        }

        public String label() {
            return RoutingConfig.label(this);
        }
    }

    /**
     * {@link #NONE}: a replica answers with what it has; {@link #LOCAL}: a read that follows a write of the same
     * client waits until the replica has applied that write; {@link #GLOBAL}: every read waits until the replica has
     * applied what the primary had committed when the read arrived.
     */
    public enum CausalReads {
        NONE, LOCAL, GLOBAL;

        public static CausalReads parse(String text) {
            return RoutingConfig.parse(CausalReads.class, text, "causal-reads setting");
        }

        public String label() {
            return RoutingConfig.label(this);
        }
    }

    public RoutingConfig {
        if (mode == null || causalReads == null || transactionReplay == null) {
            throw new IllegalArgumentException("routing mode missing");
        }
        if (causalReadsTimeoutMillis < 0) {
            throw new IllegalArgumentException("causal reads timeout must not be negative");
        }
    }

    /** Splitting without causal reads nor transaction replay. */
    public RoutingConfig(Mode mode, long maxReplicationLagSeconds) {
        this(mode, maxReplicationLagSeconds, CausalReads.NONE, DEFAULT_CAUSAL_READS_TIMEOUT_MILLIS);
    }

    /** Splitting without transaction replay. */
    public RoutingConfig(Mode mode, long maxReplicationLagSeconds, CausalReads causalReads,
                         long causalReadsTimeoutMillis) {
        this(mode, maxReplicationLagSeconds, causalReads, causalReadsTimeoutMillis, TransactionReplay.OFF);
    }

    /** Whether reads are sent to read-only backends. */
    public boolean splits() {
        return mode == Mode.READ_WRITE_SPLIT;
    }

    /** Whether {@code lagSeconds} behind (negative: not known) a replica may serve reads. */
    public boolean lagAcceptable(long lagSeconds) {
        return maxReplicationLagSeconds < 0 || lagSeconds >= 0 && lagSeconds <= maxReplicationLagSeconds;
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String text, String what) {
        try {
            return Enum.valueOf(type, text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            StringBuilder choices = new StringBuilder();
            for (E c : type.getEnumConstants()) {
                choices.append(choices.isEmpty() ? "" : ", ").append(label(c));
            }
            throw new IllegalArgumentException("'" + text + "' is not a " + what + " (" + choices + ")");
        }
    }

    private static String label(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
