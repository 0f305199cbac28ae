package io.mysqlproxy.metrics;

import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class QueryDigestsTest {
    @Test
    void statementsDifferingInLiteralsBlanksAndCommentsShareADigest() {
        QueryDigests digests = new QueryDigests(100);
        digests.record("SELECT * FROM t WHERE id = 1", 1_000_000, 1, false);
        digests.record("SELECT *  FROM t\n WHERE id = 22 /* from the app */", 3_000_000, 0, false);
        digests.record("SELECT * FROM t WHERE id = 'x'", 2_000_000, 0, true);
        digests.record("SELECT * FROM u", 500_000, 7, false);
        List<QueryDigests.Snapshot> all = digests.snapshot();
        assertThat(all).hasSize(2);
        QueryDigests.Snapshot t = all.get(0); // the most total time first
        assertThat(t.digest()).isEqualTo("SELECT * FROM t WHERE id = ?");
        assertThat(t.count()).isEqualTo(3);
        assertThat(t.totalNanos()).isEqualTo(6_000_000);
        assertThat(t.minNanos()).isEqualTo(1_000_000);
        assertThat(t.maxNanos()).isEqualTo(3_000_000);
        assertThat(t.rows()).isEqualTo(1);
        assertThat(t.errors()).isEqualTo(1);
        assertThat(all.get(1).digest()).isEqualTo("SELECT * FROM u");
        digests.reset();
        assertThat(digests.snapshot()).isEmpty();
    }

    @Test
    void p99IsWithinABucketOfTheTrueValue() {
        QueryDigests digests = new QueryDigests(10);
        for (int i = 1; i <= 1000; i++) {
            digests.record("SELECT 1", i * 10_000L, 1, false); // 10 us .. 10 ms
        }
        long p99 = digests.snapshot().get(0).p99Nanos();
        assertThat(p99).isBetween(9_900_000L, (long) (9_900_000L * 1.19) + 1);
    }

    @Test
    void shapesBeyondTheLimitCountTogether() {
        QueryDigests digests = new QueryDigests(2);
        digests.record("SELECT a FROM t", 1, 0, false);
        digests.record("SELECT b FROM t", 1, 0, false);
        digests.record("SELECT c FROM t", 1, 0, false);
        digests.record("SELECT d FROM t", 1, 0, false);
        digests.record("SELECT a FROM t", 1, 0, false);
        assertThat(digests.snapshot()).extracting(QueryDigests.Snapshot::digest, QueryDigests.Snapshot::count)
                .containsExactlyInAnyOrder(Tuple.tuple("SELECT a FROM t", 2L),
                        Tuple.tuple("SELECT b FROM t", 1L),
                        Tuple.tuple(QueryDigests.OTHER, 2L));
    }
}
