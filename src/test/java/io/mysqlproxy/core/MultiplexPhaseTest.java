package io.mysqlproxy.core;

import io.mysqlproxy.config.MultiplexingConfig;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.core.EmbeddedSession.Client;
import io.mysqlproxy.core.EmbeddedSession.Frame;
import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.ErrorCodes;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.mysqlproxy.core.EmbeddedSession.OK;
import static io.mysqlproxy.core.EmbeddedSession.login;
import static io.mysqlproxy.core.EmbeddedSession.onlyWritten;
import static io.mysqlproxy.core.EmbeddedSession.query;
import static io.mysqlproxy.core.EmbeddedSession.send;
import static io.mysqlproxy.core.EmbeddedSession.written;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three multiplexed clients sharing two backend connections, on in-memory channels: clients in transactions keep
 * their connections, the third client's statement waits for one and runs when a transaction ends, or gets error
 * 1040 when none ends within the wait timeout.
 */
class MultiplexPhaseTest {
    private static final long WAIT_MILLIS = 500;
    /** An OK whose status says a transaction is open (SERVER_STATUS_IN_TRANS | SERVER_STATUS_AUTOCOMMIT). */
    private static final byte[] OK_IN_TRANSACTION = {0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00};

    @Test
    void aStatementWaitingForAConnectionRunsWhenAnotherClientsTransactionEnds() {
        try (EmbeddedSession s = sharingTwoConnections()) {
            EmbeddedChannel x = LoginPhaseTest.loggedIn(s.client, s, "app");
            Client b = s.connectClient();
            EmbeddedChannel y = LoginPhaseTest.loggedIn(b.channel(), s, "app");
            Client c = loggedInOnAnIdleConnection(s, x, y);
            inTransaction(s.client, x, y);
            EmbeddedChannel bHolds = inTransaction(b.channel(), x, y);

            send(c.channel(), 0, query("select 1"));
            assertThat(written(x)).as("both connections are in transactions").isEmpty();
            assertThat(written(y)).isEmpty();
            assertThat(written(c.channel())).isEmpty();

            send(b.channel(), 0, query("commit"));
            assertThat(onlyWritten(bHolds).payload()).isEqualTo(query("commit"));
            send(bHolds, 1, OK);
            assertThat(onlyWritten(b.channel()).payload()).isEqualTo(OK);

            Frame waited = onlyWritten(bHolds);
            assertThat(waited.seq()).isZero();
            assertThat(waited.payload()).isEqualTo(query("select 1"));
            send(bHolds, 1, OK);
            assertThat(onlyWritten(c.channel()).payload()).isEqualTo(OK);
        }
    }

    @Test
    void aStatementThatWaitsLongerThanTheWaitTimeoutGetsError1040AndTheTransactionsGoOn() {
        try (EmbeddedSession s = sharingTwoConnections()) {
            EmbeddedChannel x = LoginPhaseTest.loggedIn(s.client, s, "app");
            Client b = s.connectClient();
            EmbeddedChannel y = LoginPhaseTest.loggedIn(b.channel(), s, "app");
            Client c = loggedInOnAnIdleConnection(s, x, y);
            EmbeddedChannel aHolds = inTransaction(s.client, x, y);
            inTransaction(b.channel(), x, y);
            send(c.channel(), 0, query("select 1"));

            c.channel().advanceTimeBy(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            c.channel().runPendingTasks();

            Frame err = onlyWritten(c.channel());
            assertThat(err.seq()).isEqualTo(1);
            assertThat(err.error().errorCode()).isEqualTo(ErrorCodes.TOO_MANY_CONNECTIONS);
            assertThat(err.error().message()).contains("no backend connection of user 'app' became free within 500 ms");
            assertThat(written(x)).as("the waiting statement never ran").isEmpty();
            assertThat(written(y)).isEmpty();

            send(s.client, 0, query("commit"));
            assertThat(onlyWritten(aHolds).payload()).isEqualTo(query("commit"));
            send(aHolds, 1, OK);
            assertThat(onlyWritten(s.client).payload()).isEqualTo(OK);
        }
    }

    @Test
    void aConnectionWithoutTheClientsSetsGetsThemReplayedBeforeTheStatement() {
        try (EmbeddedSession s = sharingTwoConnections()) {
            Replay r = replayNeeded(s);

            assertThat(written(s.client)).as("the statement waits for the replay").isEmpty();
            send(r.x, 1, OK);
            Frame statement = onlyWritten(r.x);
            assertThat(statement.payload()).isEqualTo(query("select 1"));
            send(r.x, 1, OK);
            assertThat(onlyWritten(s.client).payload()).isEqualTo(OK);
        }
    }

    @Test
    void aReplayTheServerRefusesIsAnErrorForThatStatementAndTheSessionGoesOn() {
        try (EmbeddedSession s = sharingTwoConnections()) {
            Replay r = replayNeeded(s);

            send(r.x, 1, EmbeddedSession.error(1231, "42000", "Variable 'sql_mode' can't be set to the value"));
            Frame err = onlyWritten(s.client);
            assertThat(err.seq()).isEqualTo(1);
            assertThat(err.error().message()).contains("could not restore the session on a pooled connection")
                    .contains("can't be set");
            assertThat(written(r.x)).as("the statement was not sent").isEmpty();
            assertThat(s.client.isOpen()).isTrue();
        }
    }

    @Test
    void aConnectionLostDuringTheReplayIsReplacedByTheNextFreeOne() {
        try (EmbeddedSession s = sharingTwoConnections()) {
            Replay r = replayNeeded(s);

            r.x.close();
            assertThat(written(s.client)).as("the statement waits for the other connection").isEmpty();
            send(r.b.channel(), 0, query("commit"));
            assertThat(onlyWritten(r.y).payload()).isEqualTo(query("commit"));
            send(r.y, 1, OK);
            written(r.b.channel());

            assertThat(onlyWritten(r.y).payload()).as("replayed there too").isEqualTo(query("SET sql_mode = 'ANSI'"));
            send(r.y, 1, OK);
            assertThat(onlyWritten(r.y).payload()).isEqualTo(query("select 1"));
            send(r.y, 1, OK);
            assertThat(onlyWritten(s.client).payload()).isEqualTo(OK);
        }
    }

    @Test
    void aReplayTheServerDoesNotAnswerEndsTheSessionAtTheReadTimeout() {
        try (EmbeddedSession s = sharingTwoConnections()) {
            Replay r = replayNeeded(s);

            s.client.advanceTimeBy(EmbeddedSession.LIMITS.readTimeoutMillis(), TimeUnit.MILLISECONDS);
            s.client.runPendingTasks();

            Frame err = onlyWritten(s.client);
            assertThat(err.error().errorCode()).isEqualTo(ErrorCodes.QUERY_TIMEOUT);
            assertThat(err.error().message()).contains("did not answer within the read timeout");
            assertThat(s.client.isOpen()).isFalse();
            assertThat(r.x.isOpen()).isFalse();
        }
    }

    /** Two clients, their two connections, and the client's statement waiting for the SET replayed on x. */
    private record Replay(Client b, EmbeddedChannel x, EmbeddedChannel y) {
    }

    /**
     * The first client runs a replayable SET on one connection (y), which the second client then resets and keeps
     * for a transaction: the first client's next statement gets the other connection (x), which lacks the SET.
     */
    private static Replay replayNeeded(EmbeddedSession s) {
        EmbeddedChannel first = LoginPhaseTest.loggedIn(s.client, s, "app");
        Client b = s.connectClient();
        EmbeddedChannel second = LoginPhaseTest.loggedIn(b.channel(), s, "app");
        byte[] set = query("SET sql_mode = 'ANSI'");
        send(s.client, 0, set);
        EmbeddedChannel y = sentOn(first, second);
        EmbeddedChannel x = y == first ? second : first;
        assertThat(onlyWritten(y).payload()).isEqualTo(set);
        send(y, 1, OK);
        written(s.client);
        // the second client takes the most recently used connection, reset first: it must not see the SET
        send(b.channel(), 0, query("begin"));
        assertThat(onlyWritten(y).first()).isEqualTo(Commands.COM_RESET_CONNECTION);
        send(y, 1, OK);
        assertThat(onlyWritten(y).payload()).isEqualTo(query("begin"));
        send(y, 1, OK_IN_TRANSACTION);
        written(b.channel());

        send(s.client, 0, query("select 1"));
        Frame replayed = onlyWritten(x);
        assertThat(replayed.seq()).isZero();
        assertThat(replayed.payload()).isEqualTo(set);
        return new Replay(b, x, y);
    }

    @Test
    void aLoginWaitingAtTheLimitGetsTheConnectionAsSoonAsItsLastClientLeaves() {
        try (EmbeddedSession s = EmbeddedSession.connect(EmbeddedSession.LIMITS,
                new PoolConfig(0, 0, 60_000, new MultiplexingConfig(true, Set.of(), 1, WAIT_MILLIS)), "db1:3306")) {
            EmbeddedChannel db = LoginPhaseTest.loggedIn(s.client, s, "app");
            Client next = s.connectClient();
            assertThat(written(next.channel())).as("the one connection is its user's last: the login waits").isEmpty();

            send(s.client, 0, new byte[] {Commands.COM_QUIT});

            assertThat(s.openedAnotherBackend()).isFalse();
            assertThat(written(next.channel())).as("the greeting of the connection the first client left").hasSize(1);
            send(next.channel(), 1, login(LoginPhaseTest.OFFERED, "report"));
            assertThat(onlyWritten(db).first()).isEqualTo(Commands.COM_CHANGE_USER);
            send(db, 1, OK);
            assertThat(onlyWritten(next.channel()).payload()).isEqualTo(OK);
        }
    }

    /** Two multiplexed backend connections at most, statements waiting {@link #WAIT_MILLIS} for one. */
    private static EmbeddedSession sharingTwoConnections() {
        return EmbeddedSession.connect(EmbeddedSession.LIMITS,
                new PoolConfig(0, 0, 60_000, new MultiplexingConfig(true, Set.of(), 2, WAIT_MILLIS)), "db1:3306");
    }

    /**
     * A third client, logged in on one of the two idle connections (the limit is reached): COM_CHANGE_USER, as on
     * a pooled connection.
     */
    private static Client loggedInOnAnIdleConnection(EmbeddedSession s, EmbeddedChannel x, EmbeddedChannel y) {
        Client c = s.connectClient();
        assertThat(s.openedAnotherBackend()).as("the limit is two connections").isFalse();
        assertThat(written(c.channel())).as("the idle connection's greeting").hasSize(1);
        send(c.channel(), 1, login(LoginPhaseTest.OFFERED, "app"));
        EmbeddedChannel taken = sentOn(x, y);
        assertThat(onlyWritten(taken).first()).isEqualTo(Commands.COM_CHANGE_USER);
        send(taken, 1, OK);
        assertThat(onlyWritten(c.channel()).payload()).isEqualTo(OK);
        assertThat(c.session().state().authenticated()).isTrue();
        return c;
    }

    /** Which of {@code x} and {@code y} the proxy wrote to; fails unless exactly one. */
    private static EmbeddedChannel sentOn(EmbeddedChannel x, EmbeddedChannel y) {
        boolean onX = !x.outboundMessages().isEmpty();
        boolean onY = !y.outboundMessages().isEmpty();
        assertThat(onX ^ onY).as("written to exactly one connection").isTrue();
        return onX ? x : y;
    }

    /** {@code client} begins a transaction on an idle one of {@code x} and {@code y}, which it then keeps. */
    private static EmbeddedChannel inTransaction(EmbeddedChannel client, EmbeddedChannel x, EmbeddedChannel y) {
        send(client, 0, query("begin"));
        EmbeddedChannel db = sentOn(x, y);
        assertThat(onlyWritten(db).payload()).isEqualTo(query("begin"));
        send(db, 1, OK_IN_TRANSACTION);
        assertThat(onlyWritten(client).payload()).isEqualTo(OK_IN_TRANSACTION);
        return db;
    }

}
