package io.mysqlproxy.core;

import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.core.EmbeddedSession.Frame;
import io.mysqlproxy.protocol.Capabilities;
import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.ErrPacket;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.HandshakeV10;
import io.mysqlproxy.protocol.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.mysqlproxy.core.EmbeddedSession.OK;
import static io.mysqlproxy.core.EmbeddedSession.SCRAMBLE;
import static io.mysqlproxy.core.EmbeddedSession.SERVER_CAPS;
import static io.mysqlproxy.core.EmbeddedSession.error;
import static io.mysqlproxy.core.EmbeddedSession.greeting;
import static io.mysqlproxy.core.EmbeddedSession.login;
import static io.mysqlproxy.core.EmbeddedSession.onlyWritten;
import static io.mysqlproxy.core.EmbeddedSession.query;
import static io.mysqlproxy.core.EmbeddedSession.send;
import static io.mysqlproxy.core.EmbeddedSession.written;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The login phase on in-memory channels, packet by packet: what the client and the backend each see of the
 * greeting, the login and the authentication exchange, and what the client gets when the backend fails or goes
 * away in each step, or the client never finishes.
 */
class LoginPhaseTest {
    static final long OFFERED = SERVER_CAPS & ~Capabilities.UNSUPPORTED & ~Capabilities.CLIENT_SSL;

    @Test
    void theGreetingReachesTheClientWithoutWhatTheProxyCannotRelayAndTheLoginGoesOnByteForByte() {
        try (EmbeddedSession s = EmbeddedSession.connect("db1:3306")) {
            EmbeddedChannel db = s.nextBackend();
            assertThat(s.session.state()).isEqualTo(SessionState.READ_HANDSHAKE);
            assertThat(written(s.client)).as("nothing before the server's greeting").isEmpty();

            send(db, 0, greeting(SERVER_CAPS));
            Frame greeting = onlyWritten(s.client);
            HandshakeV10 offered = HandshakeV10.decode(Unpooled.wrappedBuffer(greeting.payload()));
            assertThat(greeting.seq()).isZero();
            assertThat(offered.capabilities()).isEqualTo(OFFERED);
            assertThat(offered.connectionId()).isEqualTo(42);
            assertThat(offered.authPluginData()).startsWith(Arrays.copyOf(SCRAMBLE, 20));

            // a client asking for compression anyway: the backend never sees it asked
            send(s.client, 1, login(OFFERED | Capabilities.CLIENT_COMPRESS, "app"));
            Frame relayed = onlyWritten(db);
            HandshakeResponse response = HandshakeResponse.decode(Unpooled.wrappedBuffer(relayed.payload()));
            assertThat(relayed.seq()).isEqualTo(1);
            assertThat(response.username()).isEqualTo("app");
            assertThat(response.capabilities()).isEqualTo(OFFERED);

            send(db, 2, OK);
            Frame ok = onlyWritten(s.client);
            assertThat(ok.seq()).isEqualTo(2);
            assertThat(ok.payload()).isEqualTo(OK);
            assertThat(s.session.state().authenticated()).isTrue();

            byte[] query = query("select 1");
            send(s.client, 0, query);
            Frame command = onlyWritten(db);
            assertThat(command.seq()).isZero();
            assertThat(command.payload()).isEqualTo(query);
        }
    }

    @Test
    void anAuthSwitchIsRelayedBothWaysWithItsSequenceIds() {
        try (EmbeddedSession s = EmbeddedSession.connect("db1:3306")) {
            EmbeddedChannel db = loggingIn(s, "app");
            byte[] switchRequest = authSwitch("mysql_native_password", "ZYXWVUTSRQPONMLKJIHG");

            send(db, 2, switchRequest);
            Frame toClient = onlyWritten(s.client);
            assertThat(toClient.seq()).isEqualTo(2);
            assertThat(toClient.payload()).isEqualTo(switchRequest);
            assertThat(s.session.state().authenticated()).isFalse();

            byte[] answer = "01234567890123456789".getBytes(StandardCharsets.US_ASCII);
            send(s.client, 3, answer);
            Frame toServer = onlyWritten(db);
            assertThat(toServer.seq()).isEqualTo(3);
            assertThat(toServer.payload()).isEqualTo(answer);

            send(db, 4, OK);
            assertThat(onlyWritten(s.client).seq()).isEqualTo(4);
            assertThat(s.session.state().authenticated()).isTrue();
        }
    }

    @Test
    void theServersRefusalOfTheLoginReachesTheClientAndEndsTheSession() {
        try (EmbeddedSession s = EmbeddedSession.connect("db1:3306")) {
            EmbeddedChannel db = loggingIn(s, "app");
            byte[] denied = error(1045, "28000", "Access denied for user 'app'@'10.0.0.5' (using password: YES)");

            send(db, 2, denied);
            s.client.runPendingTasks();

            Frame toClient = onlyWritten(s.client);
            assertThat(toClient.seq()).isEqualTo(2);
            assertThat(toClient.payload()).isEqualTo(denied);
            assertThat(s.client.isOpen()).isFalse();
            assertThat(db.isOpen()).as("a refused login's connection is not kept").isFalse();
        }
    }

    @Test
    void aBackendLostDuringAuthenticationIsAnErrorAnsweringTheClientsLogin() {
        try (EmbeddedSession s = EmbeddedSession.connect("db1:3306")) {
            EmbeddedChannel db = loggingIn(s, "app");

            db.close();
            s.client.runPendingTasks();

            Frame toClient = onlyWritten(s.client);
            ErrPacket err = toClient.error();
            assertThat(toClient.seq()).isEqualTo(2);
            assertThat(err.errorCode()).isEqualTo(ErrorCodes.NO_BACKEND);
            assertThat(err.message()).contains("lost connection to backend db1:3306 during authentication");
            assertThat(s.client.isOpen()).isFalse();
        }
    }

    @Test
    void aBackendClosingBeforeItsGreetingIsLikeARefusalAndTheNextBackendGreetsTheClient() {
        try (EmbeddedSession s = EmbeddedSession.connect("db1:3306", "db2:3306")) {
            EmbeddedChannel first = s.nextBackend();

            first.close();
            assertThat(written(s.client)).isEmpty();
            EmbeddedChannel second = s.nextBackend();
            send(second, 0, greeting(SERVER_CAPS));

            assertThat(onlyWritten(s.client).first()).isEqualTo(HandshakeV10.PROTOCOL_VERSION);
            assertThat(s.session.backend().address().toString()).isEqualTo("db2:3306");
        }
    }

    @Test
    void noBackendAcceptingTheConnectionIsAnErrorNamingTheLastFailure() {
        try (EmbeddedSession s = EmbeddedSession.connectRefusing(EmbeddedSession.withConnectTimeout(100),
                Set.of("db1:3306", "db2:3306"), "db1:3306", "db2:3306")) {
            s.client.runPendingTasks();

            Frame toClient = onlyWritten(s.client);
            ErrPacket err = toClient.error();
            assertThat(toClient.seq()).isZero();
            assertThat(err.errorCode()).isEqualTo(ErrorCodes.NO_BACKEND);
            assertThat(err.message()).contains("no backend available for listener default")
                    .contains("db2:3306: Connection refused");
            assertThat(s.client.isOpen()).isFalse();
            assertThat(s.listener.refusedCount(Listener.Refusal.NO_BACKEND)).isEqualTo(1);
        }
    }

    @Test
    void aServerRefusingTheConnectionInsteadOfGreetingHasItsErrorRelayed() {
        try (EmbeddedSession s = EmbeddedSession.connect("db1:3306")) {
            EmbeddedChannel db = s.nextBackend();
            byte[] blocked = error(1129, "HY000", "Host '10.0.0.5' is blocked because of many connection errors");

            send(db, 0, blocked);
            s.client.runPendingTasks();

            Frame toClient = onlyWritten(s.client);
            assertThat(toClient.seq()).isZero();
            assertThat(toClient.payload()).isEqualTo(blocked);
            assertThat(s.client.isOpen()).isFalse();
        }
    }

    @Test
    void aMalformedGreetingIsABadHandshakeError() {
        try (EmbeddedSession s = EmbeddedSession.connect("db1:3306")) {
            EmbeddedChannel db = s.nextBackend();

            send(db, 0, new byte[] {HandshakeV10.PROTOCOL_VERSION, '1', '0'});
            s.client.runPendingTasks();

            ErrPacket err = onlyWritten(s.client).error();
            assertThat(err.errorCode()).isEqualTo(ErrorCodes.BAD_HANDSHAKE);
            assertThat(err.message()).contains("backend sent a malformed packet during login");
            assertThat(s.client.isOpen()).isFalse();
        }
    }

    @Test
    void aClientThatDoesNotFinishItsLoginInTimeGetsATimeoutError() {
        try (EmbeddedSession s = EmbeddedSession.connect("db1:3306")) {
            EmbeddedChannel db = s.nextBackend();
            send(db, 0, greeting(SERVER_CAPS));
            written(s.client);

            long timeout = EmbeddedSession.LIMITS.handshakeTimeoutMillis();
            s.client.advanceTimeBy(timeout - 1, TimeUnit.MILLISECONDS);
            s.client.runPendingTasks();
            assertThat(s.client.isOpen()).as("not before the timeout").isTrue();
            // the session clock strikes at its first tick after the timeout has certainly passed
            s.client.advanceTimeBy(1 + SessionClock.tickMillis(EmbeddedSession.LIMITS), TimeUnit.MILLISECONDS);
            s.client.runPendingTasks();

            Frame toClient = onlyWritten(s.client);
            assertThat(toClient.seq()).isEqualTo(1);
            assertThat(toClient.error().errorCode()).isEqualTo(ErrorCodes.NET_READ_INTERRUPTED);
            assertThat(toClient.error().message()).contains("login not finished within 10000 ms");
            assertThat(s.client.isOpen()).isFalse();
            assertThat(db.isOpen()).isFalse();
        }
    }

    @Test
    void aClientLeavingDuringTheLoginClosesTheBackendConnection() {
        try (EmbeddedSession s = EmbeddedSession.connect("db1:3306")) {
            EmbeddedChannel db = loggingIn(s, "app");

            s.client.close();
            db.runPendingTasks();

            assertThat(db.isOpen()).isFalse();
            assertThat(s.session.state()).isEqualTo(SessionState.CLOSED);
            assertThat(s.listener.pool(s.listener.backends().get(0)).openConnections()).isZero();
        }
    }

    @Test
    void aPooledConnectionGreetsTheNextClientWithItsOwnGreetingAndLogsItInWithChangeUser() {
        try (EmbeddedSession s = EmbeddedSession.connect(EmbeddedSession.LIMITS, new PoolConfig(1, 0, 60_000),
                "db1:3306")) {
            EmbeddedChannel db = loggedIn(s.client, s, "app");
            send(s.client, 0, new byte[] {Commands.COM_QUIT});
            assertThat(s.client.isOpen()).as("the first client's goodbye ends its session").isFalse();
            assertThat(db.isOpen()).as("its connection waits in the pool").isTrue();
            assertThat(written(db)).as("COM_QUIT is not sent to a kept connection").isEmpty();

            EmbeddedSession.Client next = s.connectClient();
            assertThat(s.openedAnotherBackend()).isFalse();
            Frame greeting = onlyWritten(next.channel());
            assertThat(HandshakeV10.decode(Unpooled.wrappedBuffer(greeting.payload())).connectionId())
                    .as("the pooled connection's own thread id").isEqualTo(42);

            send(next.channel(), 1, login(OFFERED, "report"));
            Frame changeUser = onlyWritten(db);
            assertThat(changeUser.seq()).isZero();
            assertThat(changeUser.first()).isEqualTo(Commands.COM_CHANGE_USER);
            assertThat(new String(changeUser.payload(), StandardCharsets.US_ASCII)).contains("report");

            send(db, 1, OK);
            Frame ok = onlyWritten(next.channel());
            assertThat(ok.seq()).as("the client's numbering: its login was 1").isEqualTo(2);
            assertThat(next.session().state().authenticated()).isTrue();
        }
    }

    @Test
    void aPooledConnectionThatDoesNotFitTheClientIsReplacedAndTheClientAnswersTheFreshScramble() {
        try (EmbeddedSession s = EmbeddedSession.connect(EmbeddedSession.LIMITS, new PoolConfig(1, 0, 60_000),
                "db1:3306")) {
            EmbeddedChannel pooled = loggedIn(s.client, s, "app");
            send(s.client, 0, new byte[] {Commands.COM_QUIT});

            EmbeddedSession.Client next = s.connectClient();
            written(next.channel()); // the pooled connection's greeting
            // a client without CLIENT_DEPRECATE_EOF reads result sets another way: the pooled connection will not do
            send(next.channel(), 1, login(OFFERED & ~Capabilities.CLIENT_DEPRECATE_EOF, "report"));
            assertThat(written(pooled)).as("no COM_CHANGE_USER on a connection that does not fit").isEmpty();
            assertThat(pooled.isOpen()).as("it goes back to the pool").isTrue();

            EmbeddedChannel fresh = s.nextBackend();
            byte[] freshScramble = "ZYXWVUTSRQPONMLKJIHG\0".getBytes(StandardCharsets.US_ASCII);
            send(fresh, 0, greetingWith(freshScramble));
            Frame ask = onlyWritten(next.channel());
            assertThat(ask.seq()).as("answers the client's login").isEqualTo(2);
            assertThat(ask.first()).isEqualTo(Packets.AUTH_SWITCH);
            assertThat(new String(ask.payload(), StandardCharsets.US_ASCII)).contains("mysql_native_password")
                    .contains("ZYXWVUTSRQPONMLKJIHG");
            assertThat(written(fresh)).as("nothing until the client answered").isEmpty();

            byte[] answer = "01234567890123456789".getBytes(StandardCharsets.US_ASCII);
            send(next.channel(), 3, answer);
            Frame login = onlyWritten(fresh);
            HandshakeResponse response = HandshakeResponse.decode(Unpooled.wrappedBuffer(login.payload()));
            assertThat(login.seq()).isEqualTo(1);
            assertThat(response.username()).isEqualTo("report");
            assertThat(response.authResponse()).isEqualTo(answer);
            assertThat(Capabilities.has(response.capabilities(), Capabilities.CLIENT_DEPRECATE_EOF)).isFalse();

            send(fresh, 2, OK);
            Frame ok = onlyWritten(next.channel());
            assertThat(ok.seq()).isEqualTo(4);
            assertThat(next.session().state().authenticated()).isTrue();
        }
    }

    /** A MariaDB greeting like {@link EmbeddedSession#greeting}'s, with {@code scramble} (20 bytes and a NUL). */
    private static byte[] greetingWith(byte[] scramble) {
        ByteBuf out = Unpooled.buffer();
        new HandshakeV10("10.11.6-MariaDB", 43, scramble, SERVER_CAPS, 45, 2, scramble.length,
                "mysql_native_password").encode(out);
        return EmbeddedSession.bytes(out);
    }

    /** {@code client} of {@code s} logged in as {@code user} on the next backend connection; returns it. */
    static EmbeddedChannel loggedIn(EmbeddedChannel client, EmbeddedSession s, String user) {
        EmbeddedChannel db = s.nextBackend();
        send(db, 0, greeting(SERVER_CAPS));
        written(client);
        send(client, 1, login(OFFERED, user));
        assertThat(written(db)).hasSize(1);
        send(db, 2, OK);
        assertThat(written(client)).hasSize(1);
        return db;
    }

    /** A client of {@code s} that got the greeting and sent its login as {@code user}; the backend read it. */
    private static EmbeddedChannel loggingIn(EmbeddedSession s, String user) {
        EmbeddedChannel db = s.nextBackend();
        send(db, 0, greeting(SERVER_CAPS));
        written(s.client);
        send(s.client, 1, login(OFFERED, user));
        assertThat(written(db)).hasSize(1);
        return db;
    }

    private static byte[] authSwitch(String plugin, String scramble) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Packets.AUTH_SWITCH);
        out.writeBytes(plugin.getBytes(StandardCharsets.US_ASCII));
        out.write(0);
        out.writeBytes(scramble.getBytes(StandardCharsets.US_ASCII));
        out.write(0);
        return out.toByteArray();
    }
}
