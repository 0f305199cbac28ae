package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.RawClient;
import io.mysqlproxy.testing.TestProxy;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocatorMetric;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Results stream through the proxy: memory does not grow with the result, and a slow reader slows the backend. */
class StreamingBackpressureTest {
    private static final long MIB = 1024 * 1024;

    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();
    static TestProxy proxy;

    @BeforeAll
    static void start() {
        proxy = TestProxy.to(DB.server());
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    /** Buffer memory the relay holds: Netty's pooled arenas, heap and direct. */
    private static long pooledBytes() {
        PooledByteBufAllocatorMetric m = PooledByteBufAllocator.DEFAULT.metric();
        return m.usedHeapMemory() + m.usedDirectMemory();
    }

    private static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    @Test
    void oneGibibyteResultDoesNotGrowTheProxysMemory(@TempDir Path tmp)
            throws Exception {
        Path out = tmp.resolve("result.tsv");
        long heapBefore = heapAfterGc();
        long poolBefore = pooledBytes();
        AtomicLong peak = new AtomicLong();
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> peak.accumulateAndGet(pooledBytes(), Math::max), 0, 5, TimeUnit.MILLISECONDS);
        try {
            int exit = Cli.runTo(out, "mariadb", proxy.port(), "root", "--quick", "--batch", "--skip-column-names",
                    "-e", "SELECT REPEAT('x', 1048576) FROM mysql.seq_1_to_1024");
            assertThat(exit).isZero();
            assertThat(Files.size(out)).isEqualTo(1024 * (1048576L + 1));
        } finally {
            sampler.shutdownNow();
        }
        assertThat(peak.get() - poolBefore).as("pooled buffer growth while relaying 1 GiB").isLessThan(16 * MIB);
        assertThat(heapAfterGc() - heapBefore).as("heap growth after relaying 1 GiB").isLessThan(8 * MIB);
    }

    @Test
    void slowReaderSlowsTheBackendInsteadOfFillingMemory() {
        long poolBefore = pooledBytes();
        long peak = 0;
        try (RawClient c = RawClient.login(proxy.port(), "root", "", RawClient.DEFAULT_CAPS)) {
            c.command(Commands.COM_QUERY, "SELECT REPEAT('y', 1048576) FROM mysql.seq_1_to_128");
            long bytes = 0;
            int rows = 0;
            byte[] p = c.readPacket(); // column count
            c.readPacket(); // column definition
            c.readPacket(); // EOF
            while (true) {
                p = c.readPacket();
                if ((p[0] & 0xFF) == Packets.EOF && p.length < 9) {
                    break;
                }
                rows++;
                bytes += p.length;
                if (rows % 8 == 0) {
                    peak = Math.max(peak, pooledBytes());
                    sleep(100); // a client that reads 8 MiB per 100 ms, far slower than loopback
                }
            }
            assertThat(rows).isEqualTo(128);
            assertThat(bytes).isGreaterThan(128 * MIB);
            RareCommandsRelayTest.assertPingWorks(c);
        }
        assertThat(peak - poolBefore).as("pooled buffer growth with a slow reader").isLessThan(16 * MIB);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
