package io.mysqlproxy.metrics;

import io.mysqlproxy.sql.StatementDigest;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Statistics per query shape (ProxySQL's query digests): statements that differ only in literals, blanks and
 * comments count together ({@link StatementDigest}). The number of shapes is bounded; statements of further shapes count under
 * {@link #OTHER}, so a client sending endless distinct statements cannot grow the proxy's memory.
 */
public final class QueryDigests {
    public static final String OTHER = "(other shapes: query_digests is full)";

    private final int maxDigests;
    private final ConcurrentHashMap<String, Digest> digests = new ConcurrentHashMap<>();

    public QueryDigests(int maxDigests) {
        this.maxDigests = maxDigests;
    }

    /** Records one finished statement; {@code sql} is its text as the client sent it. */
    public void record(String sql, long nanos, long rows, boolean error) {
        String shape = StatementDigest.of(sql);
        Digest d = digests.get(shape);
        if (d == null) {
            d = digests.size() < maxDigests ? digests.computeIfAbsent(shape, Digest::new)
                    : digests.computeIfAbsent(OTHER, Digest::new);
        }
        d.add(nanos, rows, error);
    }

    public void reset() {
        digests.clear();
    }

    /** The digests now, the most total time first. */
    public List<Snapshot> snapshot() {
        List<Snapshot> out = new ArrayList<>();
        for (Digest d : digests.values()) {
            out.add(d.snapshot());
        }
        out.sort(Comparator.comparingLong(Snapshot::totalNanos).reversed());
        return out;
    }

    /** One digest's figures at one moment; times in nanoseconds. */
    public record Snapshot(String digest, long count, long totalNanos, long minNanos, long maxNanos, long p99Nanos,
                           long rows, long errors) {
    }

    /**
     * Counters of one shape. The p99 comes from a histogram of logarithmic buckets (four per power of two, so a
     * reported percentile is within 19% of the true one) because keeping every sample would grow without bound.
     */
    private static final class Digest {
        private static final int BUCKETS_PER_DOUBLING = 4;
        private static final int BUCKETS = 44 * BUCKETS_PER_DOUBLING; // 1 us to about 4.9 hours

        private final String shape;
        private final LongAdder count = new LongAdder();
        private final LongAdder total = new LongAdder();
        private final LongAdder rows = new LongAdder();
        private final LongAdder errors = new LongAdder();
        private final AtomicLong min = new AtomicLong(Long.MAX_VALUE);
        private final AtomicLong max = new AtomicLong();
        private final AtomicLongArray histogram = new AtomicLongArray(BUCKETS);

        Digest(String shape) {
            this.shape = shape;
        }

        void add(long nanos, long rowCount, boolean error) {
            count.increment();
            total.add(nanos);
            rows.add(rowCount);
            if (error) {
                errors.increment();
            }
            min.accumulateAndGet(nanos, Math::min);
            max.accumulateAndGet(nanos, Math::max);
            histogram.incrementAndGet(bucket(nanos));
        }

        static int bucket(long nanos) {
            double micros = Math.max(1.0, nanos / 1000.0);
            int b = (int) (Math.log(micros) / Math.log(2) * BUCKETS_PER_DOUBLING);
            return Math.min(BUCKETS - 1, b);
        }

        /** The upper edge of bucket {@code b} in nanoseconds. */
        static long upperEdge(int b) {
            return (long) (1000.0 * Math.pow(2, (b + 1) / (double) BUCKETS_PER_DOUBLING));
        }

        Snapshot snapshot() {
            long n = count.sum();
            long mx = max.get();
            long rank = (long) Math.ceil(n * 0.99);
            long seen = 0;
            long p99 = mx;
            for (int b = 0; b < BUCKETS; b++) {
                seen += histogram.get(b);
                if (seen >= rank && n > 0) {
                    p99 = Math.min(mx, upperEdge(b));
                    break;
                }
            }
            long mn = min.get();
            return new Snapshot(shape, n, total.sum(), mn == Long.MAX_VALUE ? 0 : mn, mx, p99, rows.sum(),
                    errors.sum());
        }
    }
}
