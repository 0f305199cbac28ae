package io.mysqlproxy.fuzz;

import io.mysqlproxy.config.Limits;
import io.mysqlproxy.config.MultiplexingConfig;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.RawClient;
import io.mysqlproxy.testing.TestProxy;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Hostile clients against the session state machine, through real sockets to a proxy in front of a real server:
 * noise instead of a login, logins followed by random commands, bogus lengths, truncated frames, abandoned
 * connections, with and without a Lua script, and multiplexed. Afterwards the proxy must still serve a normal client, hold no
 * session and no backend connection of the fuzzing, and have logged no unexpected error. Seeded (FUZZ_SEED, fixed
 * in CI); FUZZ_SECONDS (default 4) sets the length.
 */
class SessionFuzzTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();
    static final long SECONDS = Long.parseLong(System.getenv().getOrDefault("FUZZ_SECONDS", "4"));

    static final class Unexpected extends Handler {
        final List<String> seen = new ArrayList<>();

        @Override
        public synchronized void publish(LogRecord r) {
            String m = r instanceof ExtLogRecord e ? e.getFormattedMessage() : r.getMessage();
            if (r.getLevel().intValue() >= Level.SEVERE.intValue() || (m != null && m.contains("unexpected error"))
                    || r.getThrown() != null && !(r.getThrown() instanceof IOException)) {
                seen.add(r.getLoggerName() + ": " + m + (r.getThrown() == null ? "" : " " + r.getThrown()));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void randomClientsLeaveTheProxyServingAndClean(@TempDir Path dir) throws Exception {
        DB.server().execute("CREATE USER IF NOT EXISTS 'fuzz'@'%' IDENTIFIED BY 'fuzz'",
                "GRANT SELECT ON mysql.help_topic TO 'fuzz'@'%'");
        Path script = dir.resolve("fuzz.lua");
        Files.writeString(script, """
                function read_query(packet)
                  if packet:byte() == proxy.COM_QUERY and packet:sub(2, 7) == "INJECT" then
                    proxy.queries:append(1, string.char(proxy.COM_QUERY) .. "SELECT 1", { resultset_is_needed = true })
                    proxy.queries:append(2, packet:sub(1, 1) .. packet:sub(8), { resultset_is_needed = true })
                    return proxy.PROXY_SEND_QUERY
                  end
                end
                function read_query_result(inj)
                  if inj.id == 1 then return proxy.PROXY_IGNORE_RESULT end
                end
                """);
        Unexpected unexpected = new Unexpected();
        Logger root = Logger.getLogger("io.mysqlproxy");
        root.addHandler(unexpected);
        Limits limits = new Limits(2_000, 500, 2_000, 2_000, 2_000, 1 << 20, 1_000);
        try (TestProxy plain = TestProxy.builder().backend(DB.server().address()).limits(l -> limits).start();
             TestProxy scripted = TestProxy.builder().backend(DB.server().address()).limits(l -> limits)
                     .script(script).start();
             TestProxy multiplexed = TestProxy.builder().backend(DB.server().address()).limits(l -> limits)
                     .pool(new PoolConfig(0, 0, 60_000,
                             new MultiplexingConfig(true, Set.of(), 20, 1_000)))
                     .start()) {
            int before = threadsConnected();
            long seed = DecoderFuzzTest.seed();
            AtomicLong sessions = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(9);
            List<Future<?>> workers = new ArrayList<>();
            long end = System.nanoTime() + SECONDS * 1_000_000_000L;
            List<TestProxy> proxies = List.of(plain, scripted, multiplexed);
            for (int w = 0; w < 9; w++) {
                Random r = new Random(seed + w);
                int port = proxies.get(w % 3).port();
                workers.add(pool.submit(() -> {
                    while (System.nanoTime() < end) {
                        hostileSession(r, port);
                        sessions.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : workers) {
                f.get();
            }
            pool.shutdown();
            System.out.printf("session fuzz: %d hostile sessions in %d s (seed %d)%n", sessions.get(), SECONDS, seed);
            assertThat(sessions.get()).isGreaterThan(50);
            for (TestProxy p : proxies) {
                try (Connection c = DriverManager.getConnection(p.mariadbUrl("", ""), "fuzz", "fuzz");
                     Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 6 * 7")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(42);
                }
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                        assertThat(p.server().listeners().get(0).connectionCount()).as("sessions left").isZero());
            }
            // the multiplexing proxy keeps its idle connections pooled, and nothing else
            var muxListener = multiplexed.server().listeners().get(0);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(threadsConnected()).as("backend connections left").isEqualTo(before
                            + muxListener.pooledConnections(muxListener.backends().get(0))));
        } finally {
            root.removeHandler(unexpected);
        }
        synchronized (unexpected) {
            assertThat(unexpected.seen).as("unexpected errors logged").isEmpty();
        }
    }

    private static int threadsConnected() throws Exception {
        try (Connection c = DriverManager.getConnection(DB.server().jdbcUrl(), "root", "");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'fuzz'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** One connection doing something a client should not. */
    static void hostileSession(Random r, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(60);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            switch (r.nextInt(5)) {
                case 0 -> { // noise instead of a login
                    byte[] noise = new byte[r.nextInt(200)];
                    r.nextBytes(noise);
                    out.write(noise);
                }
                case 1 -> // a header announcing far more than follows, then silence or hang-up
                        out.write(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1, 1, 2, 3});
                case 2 -> { } // connect and say nothing
                default -> loggedInThenRandomCommands(r, port);
            }
            out.flush();
            drain(in);
        } catch (IOException expected) {
            // the proxy may close on us: that is one of the right answers
        }
    }

    static void loggedInThenRandomCommands(Random r, int port) {
        try (RawClient c = RawClient.login(port, "fuzz", "fuzz", RawClient.DEFAULT_CAPS)) {
            c.setTimeout(100);
            for (int i = 0; i < 1 + r.nextInt(6); i++) {
                c.writeRaw(randomCommand(r));
                try {
                    while (true) {
                        c.readPacket(); // whatever comes back, until the proxy pauses or closes
                    }
                } catch (RuntimeException pausedOrClosed) {
                    if (c.closedByPeer()) {
                        return;
                    }
                }
            }
        } catch (RuntimeException closed) {
            // refused or closed on us: one of the right answers
        }
    }

    static byte[] randomCommand(Random r) {
        int[] commands = {0x03, 0x03, 0x03, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1c, 0x0e, 0x02, 0x11, 0x04, 0x1f, 0x1b,
                r.nextInt(256)};
        int command = commands[r.nextInt(commands.length)];
        byte[] payload = new byte[1 + r.nextInt(64)];
        r.nextBytes(payload);
        payload[0] = (byte) command;
        if (command == 0x03 && r.nextBoolean()) {
            byte[] sql = (r.nextBoolean() ? "INJECT SELECT 'x' FROM mysql.help_topic LIMIT 3"
                    : "SELECT '" + r.nextInt() + "'").getBytes();
            payload = new byte[sql.length + 1];
            payload[0] = 0x03;
            System.arraycopy(sql, 0, payload, 1, sql.length);
        }
        byte[] framed = RawClient.frame(r.nextInt(8) == 0 ? r.nextInt(256) : 0, payload);
        if (r.nextInt(6) == 0) {
            return Arrays.copyOf(framed, r.nextInt(framed.length)); // truncated
        }
        if (r.nextInt(10) == 0) {
            framed[0] = (byte) r.nextInt(256); // a length that does not match
        }
        return framed;
    }

    static void drain(InputStream in) throws IOException {
        byte[] buf = new byte[8192];
        try {
            while (in.read(buf) > 0) {
                // read what the proxy answers until it pauses
            }
        } catch (SocketTimeoutException paused) {
            // nothing more for now
        }
    }
}
