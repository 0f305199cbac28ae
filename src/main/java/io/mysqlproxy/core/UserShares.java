package io.mysqlproxy.core;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Multiplexing's side of a backend's pool: per user, how many multiplexed clients share its connections, and the
 * statements waiting for one. The connections themselves, idle or lent, are the pool's and its ledger's. Not
 * thread-safe: the {@link IdlePool} owning it calls it under its lock, so that a connection coming back and a
 * statement starting to wait for one are decided together.
 */
final class UserShares {
    private static final class Share {
        int clients;
        final Deque<IdlePool.Waiter> waiters = new ArrayDeque<>();
    }

    private final Map<String, Share> byUser = new HashMap<>();

    /** A multiplexed client of {@code user} starts using the pool's connections. */
    void joined(String user) {
        byUser.computeIfAbsent(user, u -> new Share()).clients++;
    }

    /** A multiplexed client of {@code user} ended; the share goes with the last one unless connections are lent. */
    void left(String user, boolean connectionsLent) {
        Share share = byUser.get(user);
        if (share != null && --share.clients <= 0 && !connectionsLent) {
            byUser.remove(user);
        }
    }

    /** Whether {@code user} has multiplexed clients here. */
    boolean has(String user) {
        return byUser.containsKey(user);
    }

    /** Whether {@code user}'s multiplexed clients are still running. */
    boolean active(String user) {
        Share share = byUser.get(user);
        return share != null && share.clients > 0;
    }

    int clients(String user) {
        Share share = byUser.get(user);
        return share == null ? 0 : share.clients;
    }

    /** Multiplexed clients of every user. */
    int clients() {
        return byUser.values().stream().mapToInt(s -> s.clients).sum();
    }

    int waiting(String user) {
        Share share = byUser.get(user);
        return share == null ? 0 : share.waiters.size();
    }

    Set<String> users() {
        return byUser.keySet();
    }

    /** Queues a statement of a user with multiplexed clients here; false for any other user. */
    boolean queue(IdlePool.Waiter waiter) {
        Share share = byUser.get(waiter.wanted().user());
        if (share == null) {
            return false;
        }
        share.waiters.addLast(waiter);
        return true;
    }

    /** Gives up waiting; false when the waiter was not waiting (any more). */
    boolean cancel(IdlePool.Waiter waiter) {
        Share share = byUser.get(waiter.wanted().user());
        return share != null && share.waiters.remove(waiter);
    }

    /** The first waiting statement of {@code idle}'s user that {@code idle} suits, dequeued; or null. */
    IdlePool.Waiter firstSuitedBy(PooledConnection idle, Predicate<PooledConnection> usable) {
        Share share = byUser.get(idle.user());
        if (share == null) {
            return null;
        }
        for (Iterator<IdlePool.Waiter> it = share.waiters.iterator(); it.hasNext(); ) {
            IdlePool.Waiter w = it.next();
            if (w.wanted().fits(idle) && usable.test(idle)) {
                it.remove();
                return w;
            }
        }
        return null;
    }
}
