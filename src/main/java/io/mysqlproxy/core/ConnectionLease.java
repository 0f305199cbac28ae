package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.metrics.ListenerMetrics;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.sql.StatementEffects;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
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

    /** The client's command gets an error instead of running; the session goes on. */
    interface Refusal {
        void refuse(int code, String sqlState, String message);
    }

    private final ClientSession session;
    /** The pool of the backend the client logged in to: its commands go there unless a script picks another. */
    private final IdlePool homePool;
    private final Backend homeBackend;
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

    private PooledConnection held;
    private IdlePool heldPool;
    private Backend heldBackend;
    /** The connection the last command ran on, its pool, and how often it had been borrowed then. */
    private PooledConnection previous;
    private IdlePool previousPool;
    private Backend previousBackend;
    private long previousBorrows;
    /** Where the running command goes: the home backend, or the one a script (or a KILL QUERY) picked. */
    private IdlePool targetPool;
    private Backend targetBackend;
    /** What the command being given a connection reads of the session (its previous statement, LAST_INSERT_ID). */
    private StatementEffects effects = StatementEffects.NONE;
    private IdlePool.Waiter waiter;
    private IdlePool waiterPool;
    private ScheduledFuture<?> waitTimer;
    private Prelude prelude;
    /** What runs once the prelude brought the connection to the client's state. */
    private Runnable afterPrelude;
    private boolean ended;
    private volatile Running running;

    ConnectionLease(ClientSession session, IdlePool pool, Backend backend, PooledConnection loginConnection,
                    ListenerMetrics metrics, PoolConfig config, long readTimeoutMillis, EventLoop loop,
                    BooleanSupplier keeps, Refusal refusal) {
        this.session = session;
        this.homePool = pool;
        this.homeBackend = backend;
        this.targetPool = pool;
        this.targetBackend = backend;
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
        this.held = loginConnection;
        this.heldPool = pool;
        this.heldBackend = backend;
        this.running = new Running(loginConnection.greeting().connectionId(), backend);
        pool.sessionStarted(loginConnection);
        joined.add(pool);
    }

    /**
     * A second connection the client logged in with (a routing script's {@code extra_backend_ndx}): it goes to
     * its backend's pool, which the client may borrow from when the script routes a command there.
     */
    void join(IdlePool pool, PooledConnection loggedIn) {
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
        return held;
    }

    boolean waiting() {
        return waiter != null;
    }

    boolean preparing() {
        return prelude != null;
    }

    String user() {
        return user;
    }

    /** The next command goes to {@code backend}'s pool if the client may borrow there, else to its home backend. */
    void target(Backend backend) {
        IdlePool pool = backend == null ? homePool : session.listener().pool(backend);
        boolean picked = pool != homePool && usable(pool);
        targetPool = picked ? pool : homePool;
        targetBackend = picked ? backend : homeBackend;
    }

    /** The next command goes to {@code pool} of {@code backend}, which the client may use ({@link #usable}). */
    void target(IdlePool pool, Backend backend) {
        targetPool = pool;
        targetBackend = backend;
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
        if (held != null && (heldPool == targetPool || keeps.getAsBoolean())) {
            prepare(then);
            return;
        }
        if (held != null) {
            release(); // a script sends this command to another backend
        }
        IdlePool pool = targetPool;
        Backend backend = targetBackend;
        IdlePool.Wanted wanted = new IdlePool.Wanted(user, capabilities, charset, mirror.database(), loop);
        if (effects.readsPrevious()) {
            // FOUND_ROWS() and ROW_COUNT() describe the previous statement on that connection: only it will do
            pool = previousPool;
            backend = previousBackend;
            PooledConnection last = previous == null || previous.state().borrows != previousBorrows ? null
                    : pool.borrow(wanted, previous);
            if (last == null) {
                refusal.refuse(ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_GENERAL, "mysqlproxy: FOUND_ROWS() and"
                        + " ROW_COUNT() describe this client's previous statement, whose backend connection another"
                        + " client has used since (multiplexing); use SQL_CALC_FOUND_ROWS or a transaction");
                return;
            }
            metrics.multiplexBorrowed(false);
            attach(last, pool, backend, then);
            return;
        }
        PooledConnection idle = pool.borrow(wanted, null);
        if (idle != null) {
            metrics.multiplexBorrowed(false);
            attach(idle, pool, backend, then);
            return;
        }
        IdlePool from = pool;
        Backend to = backend;
        IdlePool.Waiter w = new IdlePool.Waiter(wanted, got -> loop.execute(() -> handedOver(got, from, to, then)));
        if (!backend.state().acceptsConnections() || !pool.await(w)) {
            if (pool != homePool) {
                // a script picked a backend where the user's connections are all gone: the home backend answers
                targetPool = homePool;
                targetBackend = homeBackend;
                obtain(then);
                return;
            }
            LOG.infof("session %d: no backend connection of user '%s' to %s is left; closing client %s",
                    session.id(), user, backend.address(), session.clientAddress());
            session.closeWithError(1, ErrorCodes.NO_BACKEND, ErrorCodes.STATE_CONNECTION_FAILURE,
                    "mysqlproxy: no backend connection of user '" + user + "' to " + backend.address()
                            + " is left (they were closed); please reconnect");
            return;
        }
        metrics.multiplexBorrowed(true);
        waiter = w;
        waiterPool = pool;
        waitTimer = loop.schedule(() -> {
            if (waiter == w && from.cancel(w)) {
                waiter = null;
                metrics.multiplexWaitTimedOut();
                refusal.refuse(ErrorCodes.TOO_MANY_CONNECTIONS, ErrorCodes.STATE_CONNECTION_REJECTED,
                        "mysqlproxy: no backend connection of user '" + user + "' became free within "
                                + waitTimeoutMillis + " ms (all are in use by other clients)");
            }
        }, waitTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    private void handedOver(PooledConnection idle, IdlePool pool, Backend backend, Runnable then) {
        waiter = null;
        if (waitTimer != null) {
            waitTimer.cancel(false);
        }
        if (ended) {
            giveBack(idle, pool);
            return;
        }
        attach(idle, pool, backend, then);
    }

    /** Takes over {@code idle} on the client's event loop (a session's sockets share one thread). */
    private void attach(PooledConnection idle, IdlePool pool, Backend backend, Runnable then) {
        idle.moveTo(loop, moved -> {
            if (!moved) {
                idle.channel().close();
                pool.lost(idle);
                if (!ended) {
                    obtain(then);
                }
                return;
            }
            if (ended) {
                giveBack(idle, pool);
                return;
            }
            Channel ch = idle.channel();
            BackendHandler.of(ch).lend(session, false);
            idle.state().borrows++;
            held = idle;
            heldPool = pool;
            heldBackend = backend;
            running = new Running(idle.greeting().connectionId(), backend);
            session.serverAttached(ch, backend);
            prepare(then);
        });
    }

    private static void giveBack(PooledConnection idle, IdlePool pool) {
        if (!pool.giveBack(idle)) {
            IdlePool.discard(idle);
        }
    }

    /** The held connection closed before the command was sent to it: another one is as good. */
    boolean retryOnAnotherConnection() {
        if (prelude == null || held == null) {
            return false;
        }
        LOG.debugf("session %d: pooled connection to %s closed before a command was sent on it; taking another",
                session.id(), heldBackend.address());
        Runnable then = afterPrelude;
        prelude.end();
        preludeOver();
        heldPool.lost(held);
        held = null;
        running = null;
        session.serverDetached();
        obtain(then);
        return true;
    }

    // ---- bringing the connection to the client's session state -------------------------------------------------

    private void prepare(Runnable then) {
        // long idle: a connection the server or a firewall dropped is found now, and another one taken
        boolean ping = pingAfterNanos > 0 && System.nanoTime() - held.state().idleSinceNanos > pingAfterNanos;
        Prelude p = Prelude.toBring(held, mirror, ping, effects.readsInsertId(), loop, readTimeoutMillis,
                new PreludeOutcome(then));
        if (p == null) {
            then.run();
            return;
        }
        metrics.multiplexReplayed(p.steps());
        prelude = p;
        afterPrelude = then;
        p.start();
    }

    /** Bytes of the held connection: true if the prelude bringing it to the client's state took them. */
    boolean preludeRead(ByteBuf buf) {
        if (prelude == null) {
            return false;
        }
        prelude.read(buf);
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
            preludeOver();
            then.run();
        }

        @Override
        public void failed(String message, boolean resetUnknown) {
            preludeOver();
            if (resetUnknown) {
                // the server cannot reset a connection: this one waits for a login (COM_CHANGE_USER resets it),
                // and the client's command takes another
                if (heldPool.resetUnsupported()) {
                    LOG.warnf("backend %s does not know COM_RESET_CONNECTION (MySQL before 5.7.3, MariaDB before"
                            + " 10.2.4): connections that need a reset are reused only by logins, which reset them"
                            + " with COM_CHANGE_USER", heldBackend.address());
                }
                release();
                obtain(then);
                return;
            }
            LOG.infof("session %d: replaying the session state on a pooled connection to %s failed: %s",
                    session.id(), heldBackend.address(), message);
            refusal.refuse(ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_GENERAL,
                    "mysqlproxy: could not restore the session on a pooled connection: " + message);
        }

        @Override
        public void broken(int code, String sqlState, String message) {
            preludeOver();
            session.closeWithError(1, code, sqlState, "mysqlproxy: backend " + heldBackend.address() + " " + message);
        }
    }

    private void preludeOver() {
        prelude = null;
        afterPrelude = null;
    }

    // ---- giving it back ----------------------------------------------------------------------------------------

    /** Gives the held connection back to the pool. */
    void release() {
        PooledConnection idle = held;
        held = null;
        running = null;
        previous = idle;
        previousPool = heldPool;
        previousBackend = heldBackend;
        previousBorrows = idle.state().borrows;
        session.serverDetached();
        giveBack(idle, heldPool);
    }

    /** The client leaves between commands: its connection goes back, marked for a reset if it kept session state. */
    void park() {
        if (held == null) {
            return;
        }
        if (keeps.getAsBoolean()) {
            held.state().needsReset = true;
        }
        release();
    }

    /** The session closed; a connection it still held was closed with it. */
    void closed() {
        ended = true;
        if (waiter != null) {
            waiterPool.cancel(waiter);
            waiter = null;
        }
        if (waitTimer != null) {
            waitTimer.cancel(false);
        }
        if (prelude != null) {
            prelude.end();
            preludeOver();
        }
        if (held != null) {
            heldPool.lost(held);
            held = null;
        }
        for (IdlePool pool : joined) {
            pool.sessionEnded(user);
        }
    }
}
