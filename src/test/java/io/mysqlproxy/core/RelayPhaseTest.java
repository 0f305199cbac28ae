package io.mysqlproxy.core;

import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.core.EmbeddedSession.Frame;
import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.ErrorCodes;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static io.mysqlproxy.core.EmbeddedSession.onlyWritten;
import static io.mysqlproxy.core.EmbeddedSession.query;
import static io.mysqlproxy.core.EmbeddedSession.send;
import static io.mysqlproxy.core.EmbeddedSession.written;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The plain relay phase after the login, on in-memory channels: commands and results pass unchanged while the
 * session follows them, and a backend lost during a command or between commands, an oversized packet, a client
 * leaving mid-command and a client's goodbye into the pool each end the way a client expects.
 */
class RelayPhaseTest {
    /** A text result set of one column and one row, as a server with CLIENT_DEPRECATE_EOF sends it. */
    private static final List<byte[]> RESULT = List.of(
            new byte[] {0x01},
            columnDefinition("n"),
            new byte[] {0x01, '1'},
            new byte[] {(byte) 0xFE, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00});

    @Test
    void aQueryAndItsResultSetPassUnchangedAndTheSessionFollowsTheCommand() {
        try (EmbeddedSession s = EmbeddedSession.connect("db1:3306")) {
            EmbeddedChannel db = LoginPhaseTest.loggedIn(s.client, s, "app");
            byte[] query = query("select 1 as n");

            send(s.client, 0, query);
            assertThat(onlyWritten(db).payload()).isEqualTo(query);
            assertThat(s.session.state()).isEqualTo(SessionState.READ_QUERY_RESULT);

            for (int i = 0; i < RESULT.size(); i++) {
                send(db, i + 1, RESULT.get(i));
            }
            List<Frame> relayed = written(s.client);
            assertThat(relayed).hasSize(RESULT.size());
            for (int i = 0; i < RESULT.size(); i++) {
                assertThat(relayed.get(i).seq()).isEqualTo(i + 1);
                assertThat(relayed.get(i).payload()).isEqualTo(RESULT.get(i));
            }
            assertThat(s.session.state()).isEqualTo(SessionState.READ_QUERY);
            assertThat(s.session.isQuiet()).isTrue();
        }
    }

    @Test
    void aBackendLostDuringACommandClosesTheClientAfterWhatTheServerSentWithoutAnErrorOfTheProxysOwn() {
        try (EmbeddedSession s = EmbeddedSession.connect("db1:3306")) {
            EmbeddedChannel db = LoginPhaseTest.loggedIn(s.client, s, "app");
            send(s.client, 0, query("select sleep(60)"));
            written(db);
            send(db, 1, RESULT.get(0));

            db.close();
            s.client.runPendingTasks();

            // the client reports the loss as its own (2013 in libmariadb), as it would connected directly
            Frame only = onlyWritten(s.client);
            assertThat(only.payload()).isEqualTo(RESULT.get(0));
            assertThat(s.client.isOpen()).isFalse();
            assertThat(s.session.state()).isEqualTo(SessionState.CLOSED);
        }
    }

    @Test
    void aBackendClosingBetweenCommandsClosesTheClient() {
        try (EmbeddedSession s = EmbeddedSession.connect("db1:3306")) {
            EmbeddedChannel db = LoginPhaseTest.loggedIn(s.client, s, "app");

            db.close();

            assertThat(written(s.client)).isEmpty();
            assertThat(s.client.isOpen()).isFalse();
        }
    }

    @Test
    void aPacketLargerThanTheProxysMaxPacketSizeIsError1153AndNeverReachesTheBackend() {
        try (EmbeddedSession s = EmbeddedSession.connect(EmbeddedSession.withMaxPacketSize(1024), PoolConfig.NONE, "db1:3306")) {
            EmbeddedChannel db = LoginPhaseTest.loggedIn(s.client, s, "app");
            byte[] big = query("select '" + "x".repeat(2000) + "'");

            send(s.client, 0, big);
            s.client.runPendingTasks();

            Frame err = onlyWritten(s.client);
            assertThat(err.seq()).isEqualTo(1);
            assertThat(err.error().errorCode()).isEqualTo(ErrorCodes.PACKET_TOO_LARGE);
            assertThat(err.error().message()).contains("bigger than the proxy's max packet size")
                    .contains("> 1024 bytes");
            assertThat(written(db)).isEmpty();
            assertThat(db.isOpen()).isFalse();
        }
    }

    @Test
    void aClientLeavingDuringACommandClosesItsBackendConnectionInsteadOfPoolingIt() {
        try (EmbeddedSession s = EmbeddedSession.connect(EmbeddedSession.LIMITS, new PoolConfig(1, 0, 60_000),
                "db1:3306")) {
            EmbeddedChannel db = LoginPhaseTest.loggedIn(s.client, s, "app");
            send(s.client, 0, query("select sleep(60)"));

            s.client.close();

            assertThat(db.isOpen()).as("its result would reach the next client").isFalse();
            assertThat(s.listener.pool(s.listener.backends().get(0)).idle(null)).isZero();
        }
    }

    @Test
    void aClientsGoodbyeBetweenCommandsParksItsConnectionForTheNextClient() {
        try (EmbeddedSession s = EmbeddedSession.connect(EmbeddedSession.LIMITS, new PoolConfig(1, 0, 60_000),
                "db1:3306")) {
            EmbeddedChannel db = LoginPhaseTest.loggedIn(s.client, s, "app");

            send(s.client, 0, new byte[] {Commands.COM_QUIT});

            assertThat(s.client.isOpen()).isFalse();
            assertThat(db.isOpen()).isTrue();
            assertThat(s.listener.pool(s.listener.backends().get(0)).idle(null)).isEqualTo(1);
        }
    }

    @Test
    void withoutAPoolTheGoodbyeGoesToTheServer() {
        try (EmbeddedSession s = EmbeddedSession.connect("db1:3306")) {
            EmbeddedChannel db = LoginPhaseTest.loggedIn(s.client, s, "app");

            send(s.client, 0, new byte[] {Commands.COM_QUIT});

            assertThat(onlyWritten(db).payload()).isEqualTo(new byte[] {Commands.COM_QUIT});
        }
    }

    /** A column definition of a BIGINT column {@code name} of no table. */
    private static byte[] columnDefinition(String name) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        byte[] head = {3, 'd', 'e', 'f', 0, 0, 0};
        byte[] tail = {0x0C, 0x3F, 0x00, 0x15, 0x00, 0x00, 0x00, 0x08, (byte) 0x81, 0x00, 0x00, 0x00, 0x00};
        byte[] out = Arrays.copyOf(head, head.length + 1 + n.length + 1 + tail.length);
        out[head.length] = (byte) n.length;
        System.arraycopy(n, 0, out, head.length + 1, n.length);
        out[head.length + 1 + n.length] = 0;
        System.arraycopy(tail, 0, out, head.length + 2 + n.length, tail.length);
        return out;
    }
}
