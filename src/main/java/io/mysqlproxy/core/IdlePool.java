package io.mysqlproxy.core;

import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.scripting.PoolView;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.AttributeKey;
import org.jboss.logging.Logger;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One backend's idle connections, as MySQL Proxy kept them: logged-in connections a client left behind, by the
 * user they are logged in as. A new client takes one over (the proxy replays the connection's greeting and turns
 * the client's login into COM_CHANGE_USER), which saves the backend a connection and a thread. A connection is
 * only handed to a client on its own event loop, so that a session's sockets still share one thread. With
 * multiplexing, the same idle connections are lent per statement to the clients of their user ({@link UserShares}
 * counts those clients and the statements waiting); the {@link PoolLedger} counts open and lent connections.
 */
final class IdlePool implements PoolView {
    private static final Logger LOG = Logger.getLogger(IdlePool.class);
    private final String backend;
    private final long idleTimeoutMillis;
    private volatile int minIdle;
    private volatile int maxIdle;
    private volatile int maxConnections;
    private volatile boolean closed;
    /**
     * The server answered COM_RESET_CONNECTION with "unknown command" (MySQL before 5.7.3, MariaDB before 10.2.4):
     * a connection that needs a reset is left to logins, whose COM_CHANGE_USER resets it.
     */
    private volatile boolean resetUnsupported;
    private final IdleSweeper sweeper;
    private final Map<String, Deque<PooledConnection>> byUser = new HashMap<>();
    /** When a connection was opened (for the maximum age). */
    private static final AttributeKey<Long> OPENED_AT = AttributeKey.valueOf("openedAt");
    private final long maxAgeNanos;
    /** Connections open (with multiplexing, at most {@link #maxConnections}) and those multiplexed clients hold. */
    private final PoolLedger ledger;
    /** Logins waiting for any idle connection to take over, since no more may be opened. */
    private final Deque<Consumer<PooledConnection>> loginWaiters = new ArrayDeque<>();
    /** Multiplexing: per user, its clients and the statements waiting for a connection (guarded by this pool). */
    private final UserShares shares = new UserShares();

    /** A multiplexed statement waiting for a connection that fits it. */
    record Waiter(Wanted wanted, Consumer<PooledConnection> handOver) {
    }

    /** What a multiplexed statement needs of a connection. */
    record Wanted(String user, long capabilities, int charset, String database, EventLoop loop) {
        boolean fits(PooledConnection idle) {
            return idle.fits(capabilities) && idle.state().charset == charset
                    && (database != null || idle.state().database == null);
        }
    }

    IdlePool(String backend, PoolConfig config) {
        this.backend = backend;
        this.ledger = new PoolLedger(backend);
        this.idleTimeoutMillis = config.idleTimeoutMillis();
        this.minIdle = config.minIdle();
        this.maxAgeNanos = TimeUnit.MILLISECONDS.toNanos(config.maxAgeMillis());
        this.sweeper = new IdleSweeper(backend, idleTimeoutMillis, this::idleSince);
        reconfigure(config);
    }

    /** Takes the limits of {@code config} (again, when the listener's multiplexing settings changed). */
    void reconfigure(PoolConfig config) {
        this.maxIdle = config.multiplexing().enabled() ? config.multiplexing().maxConnections() : config.maxIdle();
        this.maxConnections = config.multiplexing().enabled() ? config.multiplexing().maxConnections() : 0;
    }

    /** Whether {@code idle} outlived the maximum age and is not the last connection its multiplexed clients have. */
    private boolean tooOld(PooledConnection idle) {
        Long opened = idle.channel().attr(OPENED_AT).get();
        if (maxAgeNanos <= 0 || opened == null || System.nanoTime() - opened < maxAgeNanos) {
            return false;
        }
        return !lastOfItsUser(idle);
    }

    /**
     * A login was greeted with {@code idle} but negotiated other capabilities, so it opens a connection of its own:
     * at the limit, {@code idle} is better closed to make room, unless its user's clients would have none left.
     */
    synchronized boolean crowdedWithout(PooledConnection idle) {
        return maxConnections > 0 && ledger.open() >= maxConnections && !lastOfItsUser(idle);
    }

    /** Whether {@code idle} is the only connection its user's multiplexed clients have (in use or idle). */
    private boolean lastOfItsUser(PooledConnection idle) {
        Deque<PooledConnection> queue = byUser.get(idle.user());
        int others = (queue == null ? 0 : queue.size() - (queue.contains(idle) ? 1 : 0))
                + ledger.lent(idle.user());
        return shares.active(idle.user()) && others == 0;
    }

    /**
     * A login may open a connection to this backend: true, counting it from now on (the caller then reports it
     * {@link #opened} or {@link #notOpened}); false when as many are open or opening as multiplexing allows.
     */
    boolean reserve() {
        return ledger.reserve(maxConnections);
    }

    /** Counts a connection a login must open whatever the limit. */
    void reserveBeyondLimit() {
        ledger.reserveBeyondLimit();
    }

    /** The reserved connection is open: it counts until it closes. */
    void opened(Channel channel) {
        channel.attr(OPENED_AT).set(System.nanoTime());
        channel.closeFuture().addListener(f -> ledger.released());
    }

    /** The reserved connection could not be opened. */
    void notOpened() {
        ledger.released();
    }

    /** Connections logins opened that are still open. */
    int openConnections() {
        return ledger.open();
    }

    /** Calls on this pool that did not match its counts (bugs; see {@link PoolLedger}). */
    long ledgerMismatches() {
        return ledger.mismatches();
    }

    /**
     * Queues a login until an idle connection comes back; {@code handOver} gets it on the pool's thread. One that
     * came back since the login last looked is handed over at once (checked and queued under one lock, so that a
     * connection cannot go idle unseen between the two).
     */
    void awaitLogin(Consumer<PooledConnection> handOver) {
        PooledConnection now;
        synchronized (this) {
            now = take(null);
            if (now == null) {
                loginWaiters.addLast(handOver);
            }
        }
        if (now != null) {
            handOver.accept(now);
        }
    }

    /** Gives up waiting; false when the login was already handed a connection. */
    synchronized boolean cancelLogin(Consumer<PooledConnection> handOver) {
        return loginWaiters.remove(handOver);
    }

    /** Whether a login may take {@code idle} without leaving multiplexed clients of its user without any. */
    private boolean takeable(PooledConnection idle, int othersIdle) {
        return othersIdle >= idleToKeep(idle.user());
    }

    /**
     * Idle connections of {@code user} that neither logins of other users take nor the idle timeout closes: the
     * minimum idle, and at least one while the user's multiplexed clients hold none (it is all they have).
     */
    private int idleToKeep(String user) {
        boolean onlyIdle = shares.active(user) && ledger.lent(user) == 0;
        return onlyIdle ? Math.max(minIdle, 1) : minIdle;
    }

    /**
     * Closes a connection a client held that the pool did not keep; its closing then concerns no session (the
     * client may hold another connection by the time the close is seen).
     */
    static void discard(PooledConnection idle) {
        BackendHandler.of(idle.channel()).park(null, null);
        idle.channel().close();
    }

    /**
     * Keeps {@code idle} if there is room for its user, handing it straight to a statement or a login waiting for
     * one; the caller closes it otherwise. Where it goes is decided under one lock: a waiter that queues meanwhile
     * would otherwise miss it.
     */
    boolean offer(PooledConnection idle) {
        Channel ch = idle.channel();
        idle.state().idleSinceNanos = System.nanoTime();
        // from here until someone takes it, the connection's events are the pool's
        BackendHandler handler = BackendHandler.of(ch);
        Consumer<PooledConnection> taker;
        synchronized (this) {
            if (tooOld(idle)) {
                LOG.debugf("connection to %s as '%s' reached the maximum age; closing", backend, idle.user());
                return false;
            }
            if (closed || !ch.isActive()) {
                return false;
            }
            taker = statementWaitingFor(idle);
            Deque<PooledConnection> queue = byUser.computeIfAbsent(idle.user(), u -> new ArrayDeque<>());
            if (taker == null && !loginWaiters.isEmpty() && takeable(idle, queue.size())) {
                taker = loginWaiters.pollFirst();
            }
            if (taker == null) {
                if (queue.size() >= maxIdle) {
                    return false;
                }
                handler.park(this, idle);
                queue.addLast(idle);
            }
        }
        if (taker != null) {
            handler.park(this, idle);
            taker.accept(idle);
            return true;
        }
        ch.config().setAutoRead(true);
        sweeper.start(ch.eventLoop());
        return true;
    }

    /** The first multiplexed statement of {@code idle}'s user that it fits, dequeued and lent it; or null. */
    private Consumer<PooledConnection> statementWaitingFor(PooledConnection idle) {
        Waiter w = shares.firstSuitedBy(idle, this::resettable);
        if (w == null) {
            return null;
        }
        ledger.lend(idle.user(), idle.channel());
        return w.handOver();
    }

    /**
     * Takes out the connections idle since before {@code nanos} (System.nanoTime), but keeps a user's minimum idle,
     * and its last while it has multiplexed clients; the caller closes them.
     */
    private synchronized List<PooledConnection> idleSince(long nanos) {
        List<PooledConnection> expired = new ArrayList<>();
        for (Map.Entry<String, Deque<PooledConnection>> e : byUser.entrySet()) {
            Deque<PooledConnection> queue = e.getValue();
            int keep = idleToKeep(e.getKey());
            // oldest first: connections join at the end with a fresh idle time
            for (Iterator<PooledConnection> it = queue.iterator(); it.hasNext(); ) {
                PooledConnection idle = it.next();
                if (idle.state().idleSinceNanos - nanos > 0 || queue.size() <= keep) {
                    break;
                }
                it.remove();
                expired.add(idle);
            }
        }
        return expired;
    }

    // ---- multiplexing ------------------------------------------------------------------------------------------

    /** One user's share of the pool: its multiplexed clients, connections in use and idle, statements waiting. */
    public record UserRow(String user, int clients, int inUse, int idle, int waiting) {
    }

    synchronized List<UserRow> users() {
        Set<String> names = new TreeSet<>(byUser.keySet());
        names.addAll(shares.users());
        List<UserRow> rows = new ArrayList<>();
        for (String user : names) {
            Deque<PooledConnection> queue = byUser.get(user);
            int idle = queue == null ? 0 : queue.size();
            if (!shares.has(user) && idle == 0 && ledger.lent(user) == 0) {
                continue;
            }
            rows.add(new UserRow(user, shares.clients(user), ledger.lent(user), idle, shares.waiting(user)));
        }
        return rows;
    }

    /** Multiplexed clients of every user. */
    synchronized int multiplexedClients() {
        return shares.clients();
    }

    /** Connections multiplexed clients hold now. */
    synchronized int connectionsInUse() {
        return ledger.lent();
    }

    /** A multiplexed client starts, holding {@code loginConnection}, the connection it logged in with. */
    synchronized void sessionStarted(PooledConnection loginConnection) {
        sessionJoined(loginConnection.user());
        ledger.lend(loginConnection.user(), loginConnection.channel());
    }

    /** A multiplexed client of {@code user} that holds none of this pool's connections starts using them. */
    synchronized void sessionJoined(String user) {
        shares.joined(user);
    }

    /** Whether a multiplexed client of {@code user} can be served here: the pool holds or lends its connections. */
    synchronized boolean serves(String user) {
        Deque<PooledConnection> idle = byUser.get(user);
        return shares.has(user) && ledger.lent(user) > 0 || idle != null && !idle.isEmpty();
    }

    /** Whether every connection of {@code user} here is idle and none is lent: none will come back from a client. */
    synchronized boolean allIdle(String user) {
        Deque<PooledConnection> idle = byUser.get(user);
        return ledger.lent(user) == 0 && idle != null && !idle.isEmpty();
    }

    /**
     * A multiplexed client of {@code user} ended; it held no connection any more. Its user's last idle connection
     * may now be taken: a login waiting for one gets it at once.
     */
    void sessionEnded(String user) {
        PooledConnection freed = null;
        Consumer<PooledConnection> login = null;
        synchronized (this) {
            shares.left(user, ledger.lent(user) > 0);
            if (!loginWaiters.isEmpty()) {
                freed = take(null);
                if (freed != null) {
                    login = loginWaiters.pollFirst();
                }
            }
        }
        if (login != null) {
            login.accept(freed);
        }
    }

    /**
     * An idle connection for a multiplexed statement, or null when none fits: the one returned last among those on
     * the statement's event loop (no thread hop, and the least-used connections can time out), else the one
     * returned last elsewhere (the caller moves it). With {@code only} set, that connection or nothing.
     */
    synchronized PooledConnection borrow(Wanted wanted, PooledConnection only) {
        Deque<PooledConnection> queue = byUser.get(wanted.user());
        if (queue == null || queue.isEmpty()) {
            return null;
        }
        PooledConnection chosen = null;
        if (only != null) {
            chosen = queue.contains(only) && wanted.fits(only) && resettable(only) ? only : null;
        } else {
            for (Iterator<PooledConnection> it = queue.descendingIterator(); it.hasNext(); ) {
                PooledConnection idle = it.next();
                if (!idle.channel().isActive() || !wanted.fits(idle) || !resettable(idle)) {
                    continue;
                }
                if (idle.channel().eventLoop() == wanted.loop()) {
                    chosen = idle;
                    break;
                }
                if (chosen == null) {
                    chosen = idle;
                }
            }
        }
        if (chosen != null) {
            queue.remove(chosen);
            ledger.lend(wanted.user(), chosen.channel());
        }
        return chosen;
    }

    /**
     * Queues a statement until a connection of its user comes back; false (nothing queued) when no connection to
     * the backend is open any more (it restarted, or was taken out of service), so none can come back. One that
     * came back since the statement last looked is handed over at once (checked and queued under one lock).
     */
    boolean await(Waiter waiter) {
        PooledConnection now;
        synchronized (this) {
            // a user's connections may all be in the middle of a login (COM_CHANGE_USER) now: count every open one
            if (!shares.has(waiter.wanted().user()) || closed
                    || ledger.open() == 0 && ledger.lent(waiter.wanted().user()) == 0) {
                return false;
            }
            now = borrow(waiter.wanted(), null);
            if (now == null) {
                shares.queue(waiter);
            }
        }
        if (now != null) {
            waiter.handOver().accept(now);
        }
        return true;
    }

    /** Whether a multiplexed statement can have {@code idle}: it needs no reset, or the server can do one. */
    private boolean resettable(PooledConnection idle) {
        return !resetUnsupported || !idle.state().needsReset;
    }

    /** The server does not know COM_RESET_CONNECTION; true the first time this is reported. */
    boolean resetUnsupported() {
        boolean first = !resetUnsupported;
        resetUnsupported = true;
        return first;
    }

    /** Gives up waiting; false when the waiter was already handed a connection. */
    synchronized boolean cancel(Waiter waiter) {
        return shares.cancel(waiter);
    }

    /** A multiplexed client gives its connection back (offered to the pool, or closed by the caller). */
    boolean giveBack(PooledConnection idle) {
        ledger.returned(idle.user(), idle.channel());
        return offer(idle);
    }

    /** A connection a multiplexed client held was closed instead of given back. */
    void lost(PooledConnection idle) {
        ledger.returned(idle.user(), idle.channel());
    }

    /**
     * An idle connection for a client on {@code loop} whose user is not known yet, taken from a user that has more
     * than it keeps idle, or null; the best by {@link #takeScore}. The caller moves it to its loop ({@link #moveTo})
     * and lends it to its session.
     */
    synchronized PooledConnection take(EventLoop loop) {
        PooledConnection best = null;
        int bestScore = -1;
        for (Map.Entry<String, Deque<PooledConnection>> e : byUser.entrySet()) {
            Deque<PooledConnection> queue = e.getValue();
            if (queue.isEmpty() || !takeable(queue.peekFirst(), queue.size() - 1)) {
                continue;
            }
            for (PooledConnection idle : queue) {
                int score = takeScore(idle, loop);
                if (idle.channel().isActive() && score > bestScore) {
                    best = idle;
                    bestScore = score;
                }
            }
        }
        if (best != null) {
            byUser.get(best.user()).remove(best);
        }
        return best;
    }

    /**
     * How well {@code idle} suits a login on {@code loop}: one on that loop saves a thread hop, and one that needs a
     * reset is best given to a login (COM_CHANGE_USER resets it); where the server cannot reset, that comes first.
     */
    private int takeScore(PooledConnection idle, EventLoop loop) {
        int sameLoop = idle.channel().eventLoop() == loop ? 1 : 0;
        int dirty = idle.state().needsReset ? 1 : 0;
        return resetUnsupported ? dirty * 2 + sameLoop : sameLoop * 2 + dirty;
    }

    /** An idle connection closed (the server closed it): it leaves the pool. */
    void closedWhileIdle(PooledConnection idle) {
        if (remove(idle)) {
            LOG.debugf("pooled connection to %s as '%s' closed by the server", backend, idle.user());
        }
    }

    synchronized boolean remove(PooledConnection idle) {
        Deque<PooledConnection> queue = byUser.get(idle.user());
        return queue != null && queue.remove(idle);
    }

    /** Closes every idle connection and keeps no more (shutdown). */
    void close() {
        closed = true;
        sweeper.stop();
        evictAll();
    }

    /** Closes every idle connection (its backend was taken offline); later ones are kept again. */
    void evictAll() {
        List<PooledConnection> all = new ArrayList<>();
        synchronized (this) {
            byUser.values().forEach(all::addAll);
            byUser.clear();
        }
        all.forEach(i -> i.channel().close());
    }

    @Override
    public int minIdle() {
        return minIdle;
    }

    @Override
    public void minIdle(int value) {
        minIdle = Math.max(0, value);
    }

    @Override
    public int maxIdle() {
        return maxIdle;
    }

    /** Scripts may not lower it while multiplexing: a multiplexed pool keeps all its connections idle in turn. */
    @Override
    public void maxIdle(int value) {
        if (maxConnections == 0) {
            maxIdle = Math.max(0, value);
        }
    }

    @Override
    public synchronized int idle(String user) {
        if (user == null || user.isEmpty()) {
            return byUser.values().stream().mapToInt(Deque::size).sum();
        }
        Deque<PooledConnection> queue = byUser.get(user);
        return queue == null ? 0 : queue.size();
    }
}
