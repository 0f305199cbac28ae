package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.metrics.ListenerMetrics;
import io.mysqlproxy.protocol.Capabilities;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.sql.StatementEffects;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The backend connection a multiplexed client holds for its running command: borrowed from the pool of the backend
 * the command goes to (or waited for, up to the multiplexing wait timeout), brought to the client's session state by
 * a {@link Prelude}, and given back when the {@link Multiplexer} says the client no longer needs it. Only the
 * session's event loop touches it, except {@link #running}, which other clients' KILL QUERY reads.
 */
final class ConnectionLease {
    private static final Logger LOG = Logger.getLogger(ConnectionLease.class);

    /** The backend thread running a client's command now, and its server (thread ids are per server). */
    record Running(long threadId, Backend backend) {
    }

    /** A backend and the listener's pool of connections to it: where a command's connection comes from. */
    record Source(IdlePool pool, Backend backend) {
    }

    /** The connection the client holds and where it came from; {@code borrows} as counted when it was taken. */
    private record Loan(PooledConnection connection, Source source, long borrows) {
    }

    /** A command waiting for a connection of {@code source} to come back, until {@code timer} strikes. */
    private record Wait(IdlePool.Waiter waiter, Source source, ScheduledFuture<?> timer) {
    }

    /** The held connection being brought to the client's state; {@code then} runs when it is. */
    private record Preparation(Prelude prelude, Runnable then) {
    }

    /** The client's command gets an error instead of running; the session goes on. */
    interface Refusal {
        void refuse(int code, String sqlState, String message);
    }

    private final ClientSession session;
    /** The backend the client logged in to: its commands go there unless a script picks another. */
    private final Source home;
    /** Pools whose connections of the client's user it may borrow (counted there as one of the user's clients). */
    private final List<IdlePool> joined = new ArrayList<>(2);
    private final ListenerMetrics metrics;
    private final long waitTimeoutMillis;
    private final long pingAfterNanos;
    private final long readTimeoutMillis;
    private final String user;
    private final long capabilities;
    private final int charset;
    private final EventLoop loop;
    private final SessionMirror mirror;
    /** Whether the client keeps the connection it holds (pinned, or in a transaction). */
    private final BooleanSupplier keeps;
    private final Refusal refusal;

    /**
     * Splitting without multiplexing: the connections the client keeps for itself while it holds none, one per
     * pool, instead of giving them back (null when it multiplexes).
     */
    private final Map<IdlePool, Loan> kept;
    /** The connection held now, or null. */
    private Loan held;
    /** The connection the last command ran on (given back since), or null. */
    private Loan previous;
    /** Where the running command goes: home, or the backend a script (or a KILL QUERY) picked. */
    private Source target;
    /** What the command being given a connection reads of the session (its previous statement, LAST_INSERT_ID). */
    private StatementEffects effects = StatementEffects.NONE;
    /** The command waits for a connection to come back, or null. */
    private Wait wait;
    /** The held connection is being brought to the client's state, or null. */
    private Preparation preparation;
    /** Statements of the proxy's own run on the held connection, or null. */
    private ProxyExchange exchange;
    private volatile Running running;

    ConnectionLease(ClientSession session, IdlePool pool, Backend backend, PooledConnection loginConnection,
                    ListenerMetrics metrics, PoolConfig config, long readTimeoutMillis, EventLoop loop,
                    BooleanSupplier keeps, Refusal refusal, boolean keepsItsConnections) {
        this.session = session;
        this.home = new Source(pool, backend);
        this.target = home;
        this.metrics = metrics;
        this.waitTimeoutMillis = config.multiplexing().waitTimeoutMillis();
        this.pingAfterNanos = TimeUnit.MILLISECONDS.toNanos(config.pingAfterMillis());
        this.readTimeoutMillis = readTimeoutMillis;
        this.user = loginConnection.user();
        this.capabilities = loginConnection.capabilities();
        this.charset = loginConnection.state().charset;
        this.mirror = session.mirror();
        this.loop = loop;
        this.keeps = keeps;
        this.refusal = refusal;
        this.kept = keepsItsConnections ? new HashMap<>(4) : null;
        this.held = new Loan(loginConnection, home, loginConnection.state().borrows);
        this.running = new Running(loginConnection.greeting().connectionId(), backend);
        pool.sessionStarted(loginConnection);
        joined.add(pool);
    }

    /**
     * A second connection the client logged in with (a routing script's {@code extra_backend_ndx}, a splitting
     * listener's replica): it goes to the pool of {@code backend}, which the client may borrow from when a command
     * goes there; a client that keeps its connections keeps it.
     */
    void join(IdlePool pool, Backend backend, PooledConnection loggedIn) {
        if (kept != null && !joined.contains(pool)) {
            pool.sessionStarted(loggedIn);
            joined.add(pool);
            keep(new Loan(loggedIn, new Source(pool, backend), loggedIn.state().borrows));
            return;
        }
        if (!joined.contains(pool)) {
            pool.sessionJoined(user);
            joined.add(pool);
        }
        if (!pool.offer(loggedIn)) {
            IdlePool.discard(loggedIn);
        }
    }

    Running running() {
        return running;
    }

    /** The connection held now, or null. */
    PooledConnection held() {
        return held == null ? null : held.connection();
    }

    boolean waiting() {
        return wait != null;
    }

    /** Whether the held connection is busy with the proxy's own statements (the client's command waits). */
    boolean preparing() {
        return preparation != null || exchange != null;
    }

    String user() {
        return user;
    }

    /** The next command goes to {@code backend}'s pool if the client may borrow there, else to its home backend. */
    void target(Backend backend) {
        IdlePool pool = backend == null ? home.pool() : session.listener().pool(backend);
        target = pool != home.pool() && usable(pool) ? new Source(pool, backend) : home;
    }

    /** The next command goes to {@code source}, which the client may use ({@link #usable}). */
    void target(Source source) {
        target = source;
    }

    /** Whether the client may borrow from {@code pool}: the pool has connections of its user. */
    boolean usable(IdlePool pool) {
        if (joined.contains(pool)) {
            return true;
        }
        if (!pool.serves(user)) {
            return false;
        }
        pool.sessionJoined(user);
        joined.add(pool);
        return true;
    }

    // ---- getting a connection ----------------------------------------------------------------------------------

    /**
     * Gets the command a connection of the target pool brought to the client's state, then runs {@code then}. A
     * client that keeps its connection (pinned, in a transaction) goes on with it whichever pool a script picked.
     */
    void obtain(StatementEffects commandEffects, Runnable then) {
        effects = commandEffects;
        obtain(then);
    }

    private void obtain(Runnable then) {
        if (held != null && (held.source().pool() == target.pool() || keeps.getAsBoolean())) {
            prepare(then);
            return;
        }
        if (held != null) {
            release(); // a script sends this command to another backend
        }
        if (kept != null && takeKept(effects.readsPrevious() && previous != null ? previous.source() : target, then)) {
            return;
        }
        IdlePool.Wanted wanted = new IdlePool.Wanted(user, capabilities, charset, mirror.database(), loop);
        if (effects.readsPrevious()) {
            // FOUND_ROWS() and ROW_COUNT() describe the previous statement on that connection: only it will do
            PooledConnection last = previous == null || previous.connection().state().borrows != previous.borrows()
                    ? null : previous.source().pool().borrow(wanted, previous.connection());
            if (last == null) {
                refusal.refuse(ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_GENERAL, "mysqlproxy: FOUND_ROWS() and"
                        + " ROW_COUNT() describe this client's previous statement, whose backend connection another"
                        + " client has used since (multiplexing); use SQL_CALC_FOUND_ROWS or a transaction");
                return;
            }
            metrics.multiplexBorrowed(false);
            attach(last, previous.source(), then);
            return;
        }
        Source from = target;
        PooledConnection idle = from.pool().borrow(wanted, null);
        if (idle != null) {
            metrics.multiplexBorrowed(false);
            attach(idle, from, then);
            return;
        }
        IdlePool.Waiter w = new IdlePool.Waiter(wanted, got -> loop.execute(() -> handedOver(got, from, then)));
        if (!from.backend().state().acceptsConnections() || !from.pool().await(w)) {
            if (from != home) {
                // a script picked a backend where the user's connections are all gone: the home backend answers
                target = home;
                obtain(then);
                return;
            }
            LOG.infof("session %d: no backend connection of user '%s' to %s is left; closing client %s",
                    session.id(), user, from.backend().address(), session.clientAddress());
            session.closeWithError(1, ErrorCodes.NO_BACKEND, ErrorCodes.STATE_CONNECTION_FAILURE,
                    "mysqlproxy: no backend connection of user '" + user + "' to " + from.backend().address()
                            + " is left (they were closed); please reconnect");
            return;
        }
        metrics.multiplexBorrowed(true);
        wait = new Wait(w, from, loop.schedule(() -> {
            if (wait != null && wait.waiter() == w && from.pool().cancel(w)) {
                wait = null;
                metrics.multiplexWaitTimedOut();
                // idle ones that never fitted: opened by clients that negotiated another protocol or character set
                String why = from.pool().allIdle(user) ? "its idle ones were opened by clients with other"
                        + " capabilities or another character set, which this client cannot use"
                        : "all are in use by other clients";
                refusal.refuse(ErrorCodes.TOO_MANY_CONNECTIONS, ErrorCodes.STATE_CONNECTION_REJECTED,
                        "mysqlproxy: no backend connection of user '" + user + "' became free within "
                                + waitTimeoutMillis + " ms (" + why + ")");
            }
        }, waitTimeoutMillis, TimeUnit.MILLISECONDS));
    }

    /** Takes back the connection the client keeps for {@code from}'s pool, if it has one still open. */
    private boolean takeKept(Source from, Runnable then) {
        Loan mine = kept.remove(from.pool());
        if (mine == null) {
            return false;
        }
        Channel ch = mine.connection().channel();
        if (!ch.isActive()) {
            from.pool().lost(mine.connection());
            return false;
        }
        BackendHandler.of(ch).lend(session, false);
        held = mine;
        running = new Running(mine.connection().greeting().connectionId(), mine.source().backend());
        session.serverAttached(ch, mine.source().backend());
        prepare(then);
        return true;
    }

    private void handedOver(PooledConnection idle, Source from, Runnable then) {
        if (wait != null) {
            wait.timer().cancel(false);
            wait = null;
        }
        if (session.state() == SessionState.CLOSED) {
            giveBack(idle, from.pool());
            return;
        }
        attach(idle, from, then);
    }

    /** Takes over {@code idle} on the client's event loop (a session's sockets share one thread). */
    private void attach(PooledConnection idle, Source from, Runnable then) {
        idle.moveTo(loop, moved -> {
            if (!moved) {
                idle.channel().close();
                from.pool().lost(idle);
                if (session.state() != SessionState.CLOSED) {
                    obtain(then);
                }
                return;
            }
            if (session.state() == SessionState.CLOSED) {
                giveBack(idle, from.pool());
                return;
            }
            Channel ch = idle.channel();
            BackendHandler.of(ch).lend(session, false);
            idle.state().borrows++;
            held = new Loan(idle, from, idle.state().borrows);
            running = new Running(idle.greeting().connectionId(), from.backend());
            session.serverAttached(ch, from.backend());
            prepare(then);
        });
    }

    private static void giveBack(PooledConnection idle, IdlePool pool) {
        if (idle.state().holdsStatements) {
            idle.state().needsReset = true; // a client's statements the proxy prepared on it: no one else's to use
        }
        if (!pool.giveBack(idle)) {
            IdlePool.discard(idle);
        }
    }

    /** The held connection closed before the command was sent to it: another one is as good. */
    boolean retryOnAnotherConnection() {
        if (exchange != null && held != null) {
            ProxyExchange lost = exchange;
            exchange = null;
            lost.end();
            dropHeld();
            lost.connectionLost();
            return true;
        }
        if (preparation == null || held == null) {
            return false;
        }
        LOG.debugf("session %d: pooled connection to %s closed before a command was sent on it; taking another",
                session.id(), held.source().backend().address());
        Runnable then = preparation.then();
        preparation.prelude().end();
        preparation = null;
        dropHeld();
        obtain(then);
        return true;
    }

    /** The held connection closed while the client's command ran on it; returns its backend. */
    Backend lostWhileRunning() {
        Backend backend = held.source().backend();
        dropHeld();
        return backend;
    }

    /** The held connection is gone (or going): the session no longer holds it, nor does its pool count it. */
    private PooledConnection dropHeld() {
        Loan lost = held;
        held = null;
        running = null;
        session.serverDetached();
        lost.source().pool().lost(lost.connection());
        return lost.connection();
    }

    // ---- bringing the connection to the client's session state -------------------------------------------------

    private void prepare(Runnable then) {
        // long idle: a connection the server or a firewall dropped is found now, and another one taken
        PooledConnection connection = held.connection();
        boolean ping = pingAfterNanos > 0 && System.nanoTime() - connection.state().idleSinceNanos > pingAfterNanos;
        Prelude p = Prelude.toBring(connection, mirror, ping, effects.readsInsertId(), loop, readTimeoutMillis,
                new PreludeOutcome(then));
        if (p == null) {
            then.run();
            return;
        }
        metrics.multiplexReplayed(p.steps());
        preparation = new Preparation(p, then);
        p.start();
    }

    /**
     * Runs the proxy's {@code sql} on the held connection, which it leaves as it was for the client, and tells
     * {@code outcome} its one value; a connection that broke meanwhile has been let go when {@code outcome} hears it.
     */
    void ask(String sql, long timeoutMillis, ValueQuery.Outcome outcome) {
        PooledConnection connection = held.connection();
        exchange = new ValueQuery(connection.channel(), deprecatesEof(connection), sql, loop, timeoutMillis,
                new ValueQuery.Outcome() {
                    @Override
                    public void answered(String value) {
                        exchange = null;
                        outcome.answered(value);
                    }

                    @Override
                    public void failed(String reason, boolean broken) {
                        exchangeFailed(broken);
                        outcome.failed(reason, broken);
                    }
                });
    }

    /** The proxy's exchange on the held connection failed; a connection it broke is let go. */
    private void exchangeFailed(boolean broken) {
        exchange = null;
        if (broken && held != null) {
            IdlePool.discard(dropHeld()); // what it answers later must reach nobody
        }
    }

    /**
     * Prepares {@code sql} on the held connection for the client ({@link PreparedStatements}); {@code outcome} hears
     * the statement's id there, or why not (a connection that broke meanwhile has then been let go).
     */
    void prepareCopy(String sql, StatementCopy.Outcome outcome) {
        PooledConnection connection = held.connection();
        exchange = new StatementCopy(connection.channel(), deprecatesEof(connection), sql, loop, readTimeoutMillis,
                new StatementCopy.Outcome() {
                    @Override
                    public void prepared(long id) {
                        exchange = null;
                        outcome.prepared(id);
                    }

                    @Override
                    public void failed(String reason, boolean broken) {
                        exchangeFailed(broken);
                        outcome.failed(reason, broken);
                    }
                });
    }

    /** Whether {@code connection} is one the client holds or keeps for itself (nobody else writes to it). */
    boolean ours(PooledConnection connection) {
        if (held != null && held.connection() == connection) {
            return true;
        }
        if (kept != null) {
            for (Loan mine : kept.values()) {
                if (mine.connection() == connection) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Runs a cut transaction's {@code statements} again on the held connection; {@code outcome} hears how it went. */
    void replay(List<TransactionLog.Statement> statements, long timeoutMillis, ReplayedStatements.Outcome outcome) {
        PooledConnection connection = held.connection();
        exchange = new ReplayedStatements(connection.channel(), deprecatesEof(connection), statements, loop,
                timeoutMillis, new ReplayedStatements.Outcome() {
                    @Override
                    public void replayed() {
                        exchange = null;
                        outcome.replayed();
                    }

                    @Override
                    public void failed(String reason) {
                        exchange = null;
                        outcome.failed(reason);
                    }
                });
    }

    /** Whether {@code connection} ends result sets with an OK instead of an EOF. */
    static boolean deprecatesEof(PooledConnection connection) {
        return Capabilities.has(connection.capabilities(), Capabilities.CLIENT_DEPRECATE_EOF);
    }

    /** Bytes of the held connection: true if the proxy's own statements on it took them. */
    boolean preludeRead(ByteBuf buf) {
        if (exchange != null) {
            exchange.read(buf);
            return true;
        }
        if (preparation == null) {
            return false;
        }
        preparation.prelude().read(buf);
        return true;
    }

    /** What a prelude's end means for the client's command. */
    private final class PreludeOutcome implements Prelude.Outcome {
        private final Runnable then;

        PreludeOutcome(Runnable then) {
            this.then = then;
        }

        @Override
        public void ready() {
            preparation = null;
            then.run();
        }

        @Override
        public void failed(String message, boolean resetUnknown) {
            preparation = null;
            Backend backend = held.source().backend();
            if (resetUnknown) {
                // the server cannot reset a connection: this one waits for a login (COM_CHANGE_USER resets it),
                // and the client's command takes another
                if (held.source().pool().resetUnsupported()) {
                    LOG.warnf("backend %s does not know COM_RESET_CONNECTION (MySQL before 5.7.3, MariaDB before"
                            + " 10.2.4): connections that need a reset are reused only by logins, which reset them"
                            + " with COM_CHANGE_USER", backend.address());
                }
                release();
                obtain(then);
                return;
            }
            LOG.infof("session %d: replaying the session state on a pooled connection to %s failed: %s",
                    session.id(), backend.address(), message);
            refusal.refuse(ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_GENERAL,
                    "mysqlproxy: could not restore the session on a pooled connection: " + message);
        }

        @Override
        public void broken(int code, String sqlState, String message) {
            preparation = null;
            session.closeWithError(1, code, sqlState, "mysqlproxy: backend " + held.source().backend().address()
                    + " " + message);
        }
    }

    // ---- giving it back ----------------------------------------------------------------------------------------

    /** Gives the held connection back to the pool. */
    void release() {
        Loan given = held;
        held = null;
        running = null;
        previous = given;
        session.serverDetached();
        if (kept != null) {
            keep(given);
            return;
        }
        giveBack(given.connection(), given.source().pool());
    }

    /** Sets {@code loan}'s connection aside for the client, in place of one it kept for the same pool. */
    private void keep(Loan loan) {
        // whatever it says until it is taken again is no one's: the client sends nothing on it meanwhile
        BackendHandler.of(loan.connection().channel()).park(null, null);
        loan.connection().state().idleSinceNanos = System.nanoTime(); // in use until now: else pinged before its use
        Loan other = kept.put(loan.source().pool(), loan);
        if (other != null) {
            giveBack(other.connection(), other.source().pool());
        }
    }

    /** The client leaves between commands: its connection goes back, marked for a reset if it kept session state. */
    void park() {
        if (held != null) {
            if (keeps.getAsBoolean()) {
                held.connection().state().needsReset = true;
            }
            release();
        }
        if (kept != null) {
            // they carried the client's session state all along
            for (Loan mine : kept.values()) {
                mine.connection().state().needsReset = true;
                giveBack(mine.connection(), mine.source().pool());
            }
            kept.clear();
        }
    }

    /** The session closed; a connection it still held was closed with it. */
    void closed() {
        if (wait != null) {
            wait.source().pool().cancel(wait.waiter());
            wait.timer().cancel(false);
            wait = null;
        }
        if (preparation != null) {
            preparation.prelude().end();
            preparation = null;
        }
        if (exchange != null) {
            exchange.end();
            exchange = null;
        }
        if (held != null) {
            held.source().pool().lost(held.connection());
            held = null;
        }
        if (kept != null) {
            for (Loan mine : kept.values()) {
                mine.source().pool().lost(mine.connection());
                IdlePool.discard(mine.connection());
            }
            kept.clear();
        }
        for (IdlePool pool : joined) {
            pool.sessionEnded(user);
        }
    }
}
