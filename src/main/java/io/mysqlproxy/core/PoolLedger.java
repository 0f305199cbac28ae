package io.mysqlproxy.core;

import io.netty.channel.Channel;
import org.jboss.logging.Logger;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counts of one backend's connections: how many are open (or being opened) and, per user, which ones
 * multiplexed clients hold. Lent connections are kept by identity, not counted, so giving one back twice or losing
 * one already given back cannot make a count drift or go negative. Such a call is a bug of the caller: the ledger
 * ignores it, counts it as a mismatch (a metric) and logs the first one.
 */
final class PoolLedger {
    private static final Logger LOG = Logger.getLogger(PoolLedger.class);

    private final String backend;
    private final AtomicInteger open = new AtomicInteger();
    /** Guarded by this. */
    private final Map<String, Set<Channel>> lent = new HashMap<>();
    private final LongAdder mismatches = new LongAdder();
    private final AtomicBoolean logged = new AtomicBoolean();

    PoolLedger(String backend) {
        this.backend = backend;
    }

    /** Counts a connection about to be opened unless {@code limit} (0: none) are open already; false then. */
    boolean reserve(int limit) {
        int n;
        do {
            n = open.get();
            if (limit > 0 && n >= limit) {
                return false;
            }
        } while (!open.compareAndSet(n, n + 1));
        return true;
    }

    /** Counts a connection about to be opened whatever the limit. */
    void reserveBeyondLimit() {
        open.incrementAndGet();
    }

    /** A counted connection closed, or could not be opened. */
    void released() {
        int n;
        do {
            n = open.get();
            if (n == 0) {
                mismatch("a connection closed that was not counted open");
                return;
            }
        } while (!open.compareAndSet(n, n - 1));
    }

    int open() {
        return open.get();
    }

    /** A multiplexed client of {@code user} now holds {@code connection}. */
    synchronized void lend(String user, Channel connection) {
        if (!lent.computeIfAbsent(user, u -> new HashSet<>()).add(connection)) {
            mismatch("a connection was lent twice");
        }
    }

    /** The client holds {@code connection} no more (given back or closed); false if it did not hold it. */
    synchronized boolean returned(String user, Channel connection) {
        Set<Channel> held = lent.get(user);
        if (held == null || !held.remove(connection)) {
            mismatch("a connection came back that was not lent");
            return false;
        }
        if (held.isEmpty()) {
            lent.remove(user);
        }
        return true;
    }

    /** Connections multiplexed clients of {@code user} hold. */
    synchronized int lent(String user) {
        Set<Channel> held = lent.get(user);
        return held == null ? 0 : held.size();
    }

    /** Connections multiplexed clients of every user hold. */
    synchronized int lent() {
        return lent.values().stream().mapToInt(Set::size).sum();
    }

    /** Calls that did not match the ledger (each one a bug, ignored so that the counts stay true). */
    long mismatches() {
        return mismatches.sum();
    }

    private void mismatch(String what) {
        mismatches.increment();
        if (logged.compareAndSet(false, true)) {
            LOG.warnf(new IllegalStateException(what), "pool of backend %s: %s (ignored; the counts stay correct, "
                    + "later ones are only counted in mysqlproxy_pool_ledger_mismatches_total)", backend, what);
        }
    }
}
