package io.mysqlproxy.core;

import io.mysqlproxy.config.Limits;
import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.ErrPacket;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.MariaDbServer;
import io.mysqlproxy.testing.RawClient;
import io.mysqlproxy.testing.TestProxy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.assertj.core.api.Assertions;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** Every limit is enforced with a clear error, and bad input from either side never harms other sessions. */
class LimitsAndBadInputTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();

    @BeforeAll
    static void users() {
        DB.server().execute("CREATE USER 'bob'@'%' IDENTIFIED BY 'pw'", "GRANT ALL ON *.* TO 'bob'@'%'");
    }

    private static RawClient login(TestProxy proxy) {
        return RawClient.login(proxy.port(), "bob", "pw", RawClient.DEFAULT_CAPS);
    }

    private static Limits limits(long handshake, long idle, long read, long maxPacket) {
        return new Limits(2_000, handshake, idle, read, 28_800_000, maxPacket, 5_000);
    }

    /**
     * The server refuses a statement beyond its max_allowed_packet with error 1153 and closes the connection while
     * the client is still sending: that error must reach the client before the proxy reports the loss.
     */
    @Test
    void aServersRefusalOfAPacketTooLargeReachesTheClient(@TempDir Path tmp)
            throws Exception {
        MariaDbServer small = DB.startAnother("--max-allowed-packet=16M");
        Path sql = tmp.resolve("big.sql");
        Files.writeString(sql, "select length('" + "x".repeat(17 << 20) + "') as n;\n");
        try (TestProxy proxy = TestProxy.to(small)) {
            for (int i = 0; i < 4; i++) {
                Path out = tmp.resolve("out" + i);
                int exit = Cli.runTo(out, sql, "mariadb", proxy.port(), "root", "--max-allowed-packet=64M");
                // the CLI prints the statement (17 MiB) before the error
                String error = Files.readAllLines(out).stream().filter(l -> l.startsWith("ERROR"))
                        .findFirst().orElse("no error printed");
                assertThat(exit).as(error).isEqualTo(1);
                assertThat(error).contains("ERROR 1153 (08S01)")
                        .contains("Got a packet bigger than 'max_allowed_packet' bytes");
            }
            // through the proxy only: connected directly, the driver is often still writing when the server closes
            // and reports "Socket error" instead of the server's error; the proxy reads the whole packet, so the
            // client's write always ends and the error it relays is read
            String big = "select length('" + "x".repeat(17 << 20) + "')";
            for (int i = 0; i < 4; i++) {
                try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("", "maxAllowedPacket=67108864"),
                        "root", ""); Statement s = c.createStatement()) {
                    Assertions.assertThatThrownBy(() -> s.executeQuery(big))
                            .hasMessageContaining("max_allowed_packet");
                }
            }
        }
    }

    /**
     * The server answers a packet beyond its max_allowed_packet after its first bytes and closes; the client, still
     * sending the rest, must be able to finish its write and then read the error, as clients only read once their
     * write ends (a reset instead makes JDBC report "Socket error" and hide the server's error).
     */
    @Test
    void aClientStillSendingWhatTheServerRefusedFinishesItsWriteAndReadsTheError() throws Exception {
        MariaDbServer small = DB.startAnother("--max-allowed-packet=1M");
        small.execute("CREATE USER 'bob'@'%' IDENTIFIED BY 'pw'", "GRANT ALL ON *.* TO 'bob'@'%'");
        try (TestProxy proxy = TestProxy.to(small); RawClient c = login(proxy)) {
            byte[] payload = new byte[4 << 20];
            Arrays.fill(payload, (byte) 'x');
            payload[0] = (byte) Commands.COM_QUERY;
            byte[] frame = RawClient.frame(0, payload);
            c.writeRaw(Arrays.copyOf(frame, 64 << 10));
            assertThat(RawClient.error(c.readPacket()).errorCode()).isEqualTo(1153);
            Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> proxy.server().listeners().get(0).connectionCount() == 0);
            for (int off = 64 << 10; off < frame.length; off += 64 << 10) {
                c.writeRaw(Arrays.copyOfRange(frame, off, Math.min(frame.length, off + (64 << 10))));
            }
            assertThat(c.closedByPeer()).isTrue();
        }
    }

    @Test
    void tooManyConnectionsGetsError1040() {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).maxConnections(2).start();
             RawClient a = login(proxy); RawClient b = login(proxy); RawClient c = new RawClient(proxy.port())) {
            ErrPacket err = RawClient.error(c.readPacket());
            assertThat(err.errorCode()).isEqualTo(1040);
            assertThat(err.message()).contains("Too many connections");
            assertThat(c.closedByPeer()).isTrue();
            RareCommandsRelayTest.assertPingWorks(a);
            assertThat(proxy.server().listeners().get(0).refusedCount(Listener.Refusal.MAX_CONNECTIONS)).isEqualTo(1);
        }
    }

    @Test
    void oversizedPacketGetsError1153AndOthersAreUntouched() {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address())
                .limits(l -> limits(10_000, 28_800_000, 28_800_000, 1 << 20)).start();
             RawClient big = login(proxy); RawClient other = login(proxy)) {
            byte[] query = new byte[(1 << 20) + 100];
            Arrays.fill(query, (byte) ' ');
            big.command(Commands.COM_QUERY, query);
            ErrPacket err = RawClient.error(big.readPacket());
            assertThat(err.errorCode()).isEqualTo(1153);
            assertThat(err.message()).contains("max packet size");
            assertThat(big.closedByPeer()).isTrue();
            RareCommandsRelayTest.assertPingWorks(other);
        }
    }

    @Test
    void silentClientIsClosedByTheHandshakeTimeout() {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address())
                .limits(l -> limits(300, 28_800_000, 28_800_000, 1 << 30)).start();
             RawClient c = new RawClient(proxy.port())) {
            c.readGreeting();
            ErrPacket err = RawClient.error(c.readPacket());
            assertThat(err.errorCode()).isEqualTo(1159);
            assertThat(err.message()).contains("300 ms");
            assertThat(c.closedByPeer()).isTrue();
        }
    }

    @Test
    void idleClientIsClosedWithError4031() {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address())
                .limits(l -> limits(10_000, 300, 28_800_000, 1 << 30)).start();
             RawClient c = login(proxy)) {
            ErrPacket err = RawClient.error(c.readPacket());
            assertThat(err.errorCode()).isEqualTo(4031);
            assertThat(c.closedByPeer()).isTrue();
        }
    }

    @Test
    void silentBackendGivesAReadTimeoutError() {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address())
                .limits(l -> limits(10_000, 28_800_000, 400, 1 << 30)).start();
             RawClient c = login(proxy)) {
            RareCommandsRelayTest.assertPingWorks(c);
            c.command(Commands.COM_QUERY, "SELECT SLEEP(5)");
            ErrPacket err = RawClient.error(c.readPacket());
            assertThat(err.errorCode()).isEqualTo(3024);
            assertThat(err.message()).contains("read timeout of 400 ms");
            assertThat(c.closedByPeer()).isTrue();
        }
    }

    /**
     * The idle timeout counts the time the proxy waits for the client's next command: neither a client sending
     * commands more often than that nor a statement running longer than it ends the session; a client that then
     * stays away longer does get 4031 (MariaDB Connector/J and the mariadb CLI).
     */
    @Test
    void onlyAClientThatStaysAwayLongerThanTheIdleTimeoutIsClosed() throws Exception {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address())
                .limits(l -> limits(10_000, 500, 28_800_000, 1 << 30)).start();
             Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "bob", "pw");
             Statement s = c.createStatement()) {
            for (int i = 0; i < 15; i++) {
                s.execute("SELECT " + i);
                Thread.sleep(100);
            }
            s.execute("SELECT SLEEP(1.2)"); // longer than the idle timeout, and the client waits for it
            s.execute("SELECT 1");
            Thread.sleep(1_000);
            Assertions.assertThatThrownBy(() -> s.execute("SELECT 1")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("inactivity (idle timeout 500 ms)");
            Cli.Result cli = Cli.run("mariadb", proxy.port(), "bob", "pw", null, "-N", "-B", "-e",
                    "SELECT SLEEP(1.2); SELECT 'after the long statement'");
            assertThat(cli.exitCode()).as(cli.output()).isZero();
            assertThat(cli.output()).contains("after the long statement");
        }
    }

    /**
     * The read timeout counts from the command, not from the connection's last answer: a statement shorter than
     * the timeout succeeds after the connection sat idle for longer than it; one longer gets 3024.
     */
    @Test
    void theReadTimeoutCountsFromTheCommandNotFromTheConnectionsLastAnswer() throws Exception {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address())
                .limits(l -> limits(10_000, 28_800_000, 600, 1 << 30)).start();
             Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "bob", "pw");
             Statement s = c.createStatement()) {
            s.execute("SELECT 1");
            Thread.sleep(1_000);
            s.execute("SELECT SLEEP(0.3)");
            Assertions.assertThatThrownBy(() -> s.execute("SELECT SLEEP(2)")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("read timeout of 600 ms");
        }
    }

    @Test
    void clientThatStopsReadingIsClosedByTheWriteTimeout() {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address())
                .limits(l -> new Limits(2_000, 10_000, 28_800_000, 28_800_000, 500, 1L << 30, 5_000)).start();
             RawClient stalled = login(proxy); RawClient other = login(proxy)) {
            stalled.command(Commands.COM_QUERY, "SELECT REPEAT('x', 1048576) FROM mysql.seq_1_to_200");
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> proxy.server().listeners().get(0).connectionCount() == 1);
            RareCommandsRelayTest.assertPingWorks(other);
        }
    }

    @Test
    void garbageInsteadOfLoginGetsBadHandshake() {
        try (TestProxy proxy = TestProxy.to(DB.server()); RawClient c = new RawClient(proxy.port());
             RawClient other = login(proxy)) {
            c.readGreeting();
            c.writePacket(1, "this is not a handshake response, but it is long enough".getBytes());
            ErrPacket err = RawClient.error(c.readPacket());
            assertThat(err.errorCode()).isEqualTo(1043);
            assertThat(c.closedByPeer()).isTrue();
            RareCommandsRelayTest.assertPingWorks(other);
        }
    }

    @Test
    void aLoginNamingAnUnknownPluginGetsTheServersAnswer() {
        try (TestProxy proxy = TestProxy.to(DB.server()); RawClient c = new RawClient(proxy.port());
             RawClient other = login(proxy)) {
            c.readGreeting();
            ByteBuf out = Unpooled.buffer();
            new HandshakeResponse(RawClient.DEFAULT_CAPS, 1 << 24, 33, "root",
                    new byte[] {1, 2, 3, 4, 5}, "", "no_such_plugin").encode(out);
            byte[] payload = new byte[out.readableBytes()];
            out.readBytes(payload);
            c.writePacket(1, payload);
            // the server asks for its own plugin (an auth switch) or refuses; the proxy relays it either way
            byte[] answer = c.readPacket();
            assertThat(answer[0] & 0xFF).isIn(Packets.AUTH_SWITCH,
                    Packets.ERR);
            if ((answer[0] & 0xFF) == Packets.AUTH_SWITCH) {
                assertThat(new String(answer, 1, 21, StandardCharsets.US_ASCII))
                        .isEqualTo("mysql_native_password");
            }
            RareCommandsRelayTest.assertPingWorks(other);
        }
    }

    @Test
    void truncatedPacketThenHangUpLeavesNothingBehind() {
        try (TestProxy proxy = TestProxy.to(DB.server()); RawClient other = login(proxy)) {
            for (int i = 0; i < 20; i++) {
                try (RawClient c = login(proxy)) {
                    c.writeRaw(new byte[] {100, 0, 0, 0, Commands.COM_QUERY, 'S', 'E'}); // 100 bytes promised, 3 sent
                }
            }
            Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> proxy.server().listeners().get(0).connectionCount() == 1);
            RareCommandsRelayTest.assertPingWorks(other);
        }
    }

    @Test
    void noBackendAvailableNamesTheReason() {
        int deadPort = MariaDbServer.freePort();
        try (TestProxy proxy = TestProxy.builder().backend("127.0.0.1:" + deadPort).start();
             RawClient c = new RawClient(proxy.port())) {
            ErrPacket err = RawClient.error(c.readPacket());
            assertThat(err.errorCode()).isEqualTo(3169);
            assertThat(err.message()).contains("no backend available").contains(Integer.toString(deadPort));
        }
    }

    @Test
    void backendSendingGarbageGivesAClearError() {
        try (FakeBackend fake = new FakeBackend(new byte[] {9, 0, 0, 0, 'g', 'a', 'r', 'b', 'a', 'g', 'e', '!', '!'});
             TestProxy proxy = TestProxy.builder().backend(fake.address()).start();
             RawClient c = new RawClient(proxy.port())) {
            ErrPacket err = RawClient.error(c.readPacket());
            assertThat(err.errorCode()).isEqualTo(1043);
            assertThat(err.message()).contains("backend sent a malformed packet");
            assertThat(c.closedByPeer()).isTrue();
        }
    }

    @Test
    void backendErrorAtGreetingIsRelayed() {
        ByteBuf payload = Unpooled.buffer();
        new ErrPacket(1129, "HY000", "Host '127.0.0.1' is blocked").encode(payload);
        byte[] bytes = new byte[payload.readableBytes() + 4];
        bytes[0] = (byte) payload.readableBytes();
        payload.readBytes(bytes, 4, payload.readableBytes());
        try (FakeBackend fake = new FakeBackend(bytes); TestProxy proxy = TestProxy.builder().backend(fake.address()).start();
             RawClient c = new RawClient(proxy.port())) {
            ErrPacket err = RawClient.error(c.readPacket());
            assertThat(err.errorCode()).isEqualTo(1129);
            assertThat(err.message()).isEqualTo("Host '127.0.0.1' is blocked");
            assertThat(c.closedByPeer()).isTrue();
        }
    }

    /** A backend that sends fixed bytes to whoever connects, then hangs up. */
    static final class FakeBackend implements AutoCloseable {
        private final ServerSocket socket;

        FakeBackend(byte[] greeting) {
            try {
                socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread t = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (Socket s = socket.accept(); OutputStream out = s.getOutputStream()) {
                        out.write(greeting);
                        out.flush();
                        Thread.sleep(200);
                    } catch (IOException | InterruptedException e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
        }

        String address() {
            return "127.0.0.1:" + socket.getLocalPort();
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }
}
