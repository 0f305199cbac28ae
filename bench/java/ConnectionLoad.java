import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load for bench/connections.sh, run with a JDK 21+ (virtual threads) as a single-file program:
 *
 *   java -cp mariadb-java-client.jar ConnectionLoad.java hold  PORT CLIENTS SECONDS RAMP_PER_SECOND
 *   java -cp mariadb-java-client.jar ConnectionLoad.java storm PORT PER_SECOND SECONDS
 *
 * hold: CLIENTS connections (opened at RAMP_PER_SECOND), each running SELECT 1 once a second until SECONDS after
 * the last one connected; prints connected, queries, failures and latency percentiles. storm: PER_SECOND new
 * connections a second for SECONDS, each connecting, logging in, running SELECT 1 and closing; prints failures and
 * the percentiles of connect-to-first-result. Every failure is printed once per message.
 */
public class ConnectionLoad {
    static final ConcurrentLinkedQueue<Long> LATENCIES = new ConcurrentLinkedQueue<>();
    static final java.util.Map<String, AtomicInteger> FAILURES = new java.util.concurrent.ConcurrentHashMap<>();

    public static void main(String[] args) throws Exception {
        String url = "jdbc:mariadb://127.0.0.1:" + args[1] + "/?user=bench&password=bench&connectTimeout=30000"
                + "&socketTimeout=60000";
        if (args[0].equals("hold")) {
            hold(url, Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
        } else {
            storm(url, Integer.parseInt(args[2]), Integer.parseInt(args[3]));
        }
    }

    static void fail(Throwable e) {
        String key = e.getClass().getSimpleName() + ": " + e.getMessage();
        if (FAILURES.computeIfAbsent(key, k -> new AtomicInteger()).getAndIncrement() == 0) {
            System.err.println("failure: " + key);
        }
    }

    static int failures() {
        return FAILURES.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    static void hold(String url, int clients, int seconds, int ramp) throws Exception {
        AtomicInteger connected = new AtomicInteger();
        AtomicLong queries = new AtomicLong();
        CountDownLatch allConnected = new CountDownLatch(clients);
        CountDownLatch done = new CountDownLatch(clients);
        long[] endAt = {Long.MAX_VALUE};
        long start = System.nanoTime();
        for (int i = 0; i < clients; i++) {
            long due = start + TimeUnit.SECONDS.toNanos(i) / ramp;
            Thread.ofVirtual().start(() -> {
                try {
                    sleepUntil(due);
                    try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                        connected.incrementAndGet();
                        allConnected.countDown();
                        allConnected.await();
                        long next = System.nanoTime() + (long) (Math.random() * 1e9);
                        while (System.nanoTime() < endAt[0]) {
                            sleepUntil(next);
                            long t = System.nanoTime();
                            try (ResultSet rs = s.executeQuery("SELECT 1")) {
                                rs.next();
                                queries.incrementAndGet();
                                LATENCIES.add(System.nanoTime() - t);
                            } catch (Exception e) {
                                fail(e);
                            }
                            next += 1_000_000_000L;
                        }
                    }
                } catch (Exception e) {
                    allConnected.countDown();
                    fail(e);
                } finally {
                    done.countDown();
                }
            });
        }
        allConnected.await();
        long connectSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        System.out.printf("connected %d of %d in %d s; holding for %d s%n", connected.get(), clients,
                connectSeconds, seconds);
        System.out.println("HOLDING"); // the script samples the proxy's memory now
        endAt[0] = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        done.await();
        System.out.printf("clients %d connected %d queries %d failures %d%n", clients, connected.get(),
                queries.get(), failures());
        percentiles("SELECT 1 latency");
    }

    static void storm(String url, int perSecond, int seconds) throws Exception {
        int total = perSecond * seconds;
        CountDownLatch done = new CountDownLatch(total);
        AtomicInteger ok = new AtomicInteger();
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long due = start + TimeUnit.SECONDS.toNanos(i) / perSecond;
            Thread.ofVirtual().start(() -> {
                try {
                    sleepUntil(due);
                    long t = System.nanoTime();
                    try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
                         ResultSet rs = s.executeQuery("SELECT 1")) {
                        rs.next();
                        LATENCIES.add(System.nanoTime() - t);
                        ok.incrementAndGet();
                    }
                } catch (Exception e) {
                    fail(e);
                } finally {
                    done.countDown();
                }
            });
        }
        done.await();
        double took = (System.nanoTime() - start) / 1e9;
        System.out.printf("connections %d ok %d failures %d in %.1f s (%.0f/s asked, %.0f/s done)%n", total, ok.get(),
                failures(), took, (double) perSecond, total / took);
        percentiles("connect-to-first-result");
    }

    static void percentiles(String what) {
        long[] v = LATENCIES.stream().mapToLong(Long::longValue).toArray();
        if (v.length == 0) {
            System.out.println(what + ": no samples");
            return;
        }
        Arrays.sort(v);
        System.out.printf("%s ms: p50 %.2f p95 %.2f p99 %.2f max %.2f (%d samples)%n", what, v[v.length / 2] / 1e6,
                v[(int) (v.length * 0.95)] / 1e6, v[(int) (v.length * 0.99)] / 1e6, v[v.length - 1] / 1e6, v.length);
    }

    static void sleepUntil(long nanoTime) throws InterruptedException {
        long wait = nanoTime - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }
}
