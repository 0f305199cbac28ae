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
 *   java -cp mariadb-java-client.jar ConnectionLoad.java tx    PORT CLIENTS SECONDS RAMP_PER_SECOND PERIOD_MS
 *   java -cp mariadb-java-client.jar ConnectionLoad.java storm PORT PER_SECOND SECONDS
 *   java -cp mariadb-java-client.jar ConnectionLoad.java failover PORT THREADS SECONDS KILL_AT SURVIVOR_PORT PID
 *   java -cp mariadb-java-client.jar ConnectionLoad.java loris PORT SOCKETS
 *
 * hold: CLIENTS connections (opened at RAMP_PER_SECOND), each running SELECT 1 once a second until SECONDS after
 * the last one connected; prints connected, queries, failures and latency percentiles. tx: the same, but each
 * client runs a short transaction (BEGIN, UPDATE and SELECT of its own row of bench.t, COMMIT) every PERIOD_MS
 * milliseconds instead of SELECT 1 every second; prints transactions a second. storm: PER_SECOND new
 * connections a second for SECONDS, each connecting, logging in, running SELECT 1 and closing; prints failures and
 * the percentiles of connect-to-first-result. failover: THREADS clients that each open a connection, run 20
 * queries on it and close it, for SECONDS; KILL_AT seconds in it kills process PID (a backend) with SIGKILL; prints the failures before
 * and after, how long after the kill the last new connection failed (the failover gap), and whether anything run
 * on the survivor failed. loris: SOCKETS connections that never log in, while 16 clients run SELECT 1 in a loop;
 * prints how many of the sockets the proxy closed and when, and the clients' latency before and during. Every
 * failure is printed once per message.
 */
public class ConnectionLoad {
    static final ConcurrentLinkedQueue<Long> LATENCIES = new ConcurrentLinkedQueue<>();
    static final java.util.Map<String, AtomicInteger> FAILURES = new java.util.concurrent.ConcurrentHashMap<>();

    public static void main(String[] args) throws Exception {
        String url = "jdbc:mariadb://127.0.0.1:" + args[1] + "/?user=bench&password=bench&connectTimeout=30000"
                + "&socketTimeout=60000";
        if (args[0].equals("hold")) {
            hold(url, Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]), 1000,
                    "SELECT 1", ConnectionLoad::selectOne);
        } else if (args[0].equals("tx")) {
            hold(url, Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                    Integer.parseInt(args[5]), "transaction", ConnectionLoad::shortTransaction);
        } else if (args[0].equals("loris")) {
            loris(url, Integer.parseInt(args[1]), Integer.parseInt(args[2]));
        } else if (args[0].equals("failover")) {
            failover(url, Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                    Integer.parseInt(args[5]), Long.parseLong(args[6]));
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

    /** What a held client runs each period. */
    interface Work {
        void run(Statement s, int client) throws Exception;
    }

    static void selectOne(Statement s, int client) throws Exception {
        try (ResultSet rs = s.executeQuery("SELECT 1")) {
            rs.next();
        }
    }

    static void shortTransaction(Statement s, int client) throws Exception {
        int id = client + 1;
        s.execute("BEGIN");
        s.executeUpdate("UPDATE bench.t SET n = n + 1 WHERE id = " + id);
        try (ResultSet rs = s.executeQuery("SELECT n FROM bench.t WHERE id = " + id)) {
            rs.next();
        }
        s.execute("COMMIT");
    }

    static void hold(String url, int clients, int seconds, int ramp, int periodMillis, String what, Work work)
            throws Exception {
        AtomicInteger connected = new AtomicInteger();
        AtomicLong queries = new AtomicLong();
        CountDownLatch allConnected = new CountDownLatch(clients);
        CountDownLatch done = new CountDownLatch(clients);
        long[] endAt = {Long.MAX_VALUE};
        long start = System.nanoTime();
        long period = TimeUnit.MILLISECONDS.toNanos(periodMillis);
        for (int i = 0; i < clients; i++) {
            long due = start + TimeUnit.SECONDS.toNanos(i) / ramp;
            int client = i;
            Thread.ofVirtual().start(() -> {
                try {
                    sleepUntil(due);
                    try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                        connected.incrementAndGet();
                        allConnected.countDown();
                        allConnected.await();
                        long next = System.nanoTime() + (long) (Math.random() * period);
                        while (System.nanoTime() < endAt[0]) {
                            sleepUntil(next);
                            long t = System.nanoTime();
                            try {
                                work.run(s, client);
                                queries.incrementAndGet();
                                LATENCIES.add(System.nanoTime() - t);
                            } catch (Exception e) {
                                fail(e);
                            }
                            next += period;
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
        System.out.printf("clients %d connected %d runs %d (%.0f/s) failures %d%n", clients, connected.get(),
                queries.get(), queries.get() / (double) seconds, failures());
        percentiles(what + " latency");
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

    static void failover(String url, int threads, int seconds, int killAt, int survivorPort, long pid)
            throws Exception {
        long start = System.nanoTime();
        long kill = start + TimeUnit.SECONDS.toNanos(killAt);
        Thread.ofVirtual().start(() -> {
            try {
                sleepUntil(kill);
            } catch (InterruptedException e) {
                return;
            }
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        });
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        AtomicLong lastConnectFailure = new AtomicLong(-1);
        AtomicLong queries = new AtomicLong();
        AtomicInteger inFlightErrors = new AtomicInteger();
        AtomicInteger connectFailures = new AtomicInteger();
        AtomicInteger survivorFailures = new AtomicInteger();
        AtomicInteger failuresBefore = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            Thread.ofVirtual().start(() -> {
                try {
                    while (System.nanoTime() < end) {
                        Connection c;
                        try {
                            c = DriverManager.getConnection(url);
                        } catch (Exception e) {
                            long at = System.nanoTime();
                            (at < kill ? failuresBefore : connectFailures).incrementAndGet();
                            lastConnectFailure.accumulateAndGet(at - kill, Math::max);
                            fail(e);
                            continue;
                        }
                        int port = -1;
                        try (c; Statement s = c.createStatement()) {
                            for (int i = 0; i < 20 && System.nanoTime() < end; i++) {
                                long before = System.nanoTime();
                                try (ResultSet rs = s.executeQuery("SELECT @@port")) {
                                    rs.next();
                                    port = rs.getInt(1);
                                    queries.incrementAndGet();
                                } catch (Exception e) {
                                    if (System.nanoTime() < kill) {
                                        failuresBefore.incrementAndGet();
                                    } else if (port == survivorPort) {
                                        survivorFailures.incrementAndGet();
                                    } else {
                                        inFlightErrors.incrementAndGet();
                                    }
                                    LATENCIES.add(System.nanoTime() - before); // how long the failing query took
                                    fail(e);
                                    break;
                                }
                            }
                        } catch (Exception e) {
                            fail(e);
                        }
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        done.await();
        long gap = lastConnectFailure.get();
        System.out.printf("queries %d; failures before the kill %d; after it: %d queries on the killed backend"
                        + " failed, %d new connections failed (the last %.0f ms after the kill), %d failures on the"
                        + " survivor%n", queries.get(), failuresBefore.get(), inFlightErrors.get(),
                connectFailures.get(), gap < 0 ? 0 : gap / 1e6, survivorFailures.get());
        percentiles("time until a query on the killed backend failed");
    }

    static void loris(String url, int port, int sockets) throws Exception {
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        ConcurrentLinkedQueue<Long> before = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> during = new ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicReference<ConcurrentLinkedQueue<Long>> phase =
                new java.util.concurrent.atomic.AtomicReference<>(before);
        CountDownLatch clientsDone = new CountDownLatch(16);
        for (int i = 0; i < 16; i++) {
            Thread.ofVirtual().start(() -> {
                try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                    while (!stop.get()) {
                        long t = System.nanoTime();
                        try (ResultSet rs = s.executeQuery("SELECT 1")) {
                            rs.next();
                        }
                        phase.get().add(System.nanoTime() - t);
                        Thread.sleep(5);
                    }
                } catch (Exception e) {
                    fail(e);
                } finally {
                    clientsDone.countDown();
                }
            });
        }
        Thread.sleep(3_000);
        phase.set(during);
        long start = System.nanoTime();
        AtomicInteger opened = new AtomicInteger();
        AtomicInteger closed = new AtomicInteger();
        ConcurrentLinkedQueue<Long> closedAfter = new ConcurrentLinkedQueue<>();
        CountDownLatch lorisDone = new CountDownLatch(sockets);
        for (int i = 0; i < sockets; i++) {
            Thread.ofVirtual().start(() -> {
                try (java.net.Socket s = new java.net.Socket()) {
                    s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 30_000);
                    opened.incrementAndGet();
                    s.setSoTimeout(60_000);
                    java.io.InputStream in = s.getInputStream();
                    byte[] buf = new byte[512];
                    while (in.read(buf) >= 0) {
                        // the greeting, then the proxy's error; never an answer from us
                    }
                    closed.incrementAndGet();
                    closedAfter.add(System.nanoTime() - start);
                } catch (Exception e) {
                    fail(e);
                } finally {
                    lorisDone.countDown();
                }
            });
        }
        lorisDone.await();
        stop.set(true);
        clientsDone.await();
        System.out.printf("loris: %d of %d sockets opened, %d closed by the proxy%n", opened.get(), sockets,
                closed.get());
        report("closed after (ms)", closedAfter);
        report("SELECT 1 before (ms)", before);
        report("SELECT 1 during (ms)", during);
        System.out.printf("client failures %d%n", failures());
    }

    static void report(String what, ConcurrentLinkedQueue<Long> q) {
        long[] v = q.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(v);
        if (v.length == 0) {
            System.out.println(what + ": none");
            return;
        }
        System.out.printf("%s: p50 %.2f p99 %.2f max %.2f (%d)%n", what, v[v.length / 2] / 1e6,
                v[(int) (v.length * 0.99)] / 1e6, v[v.length - 1] / 1e6, v.length);
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
