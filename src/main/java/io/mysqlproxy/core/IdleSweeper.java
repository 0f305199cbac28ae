package io.mysqlproxy.core;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * Closes a pool's connections idle for longer than its idle timeout: one periodic task per pool, started with its
 * first idle connection, rather than a task per offer (a multiplexed connection goes back to the pool after every
 * statement).
 */
final class IdleSweeper {
    private static final Logger LOG = Logger.getLogger(IdleSweeper.class);
    private final String backend;
    private final long idleTimeoutMillis;
    /** Takes out of the pool the connections idle since before the given System.nanoTime, that it need not keep. */
    private final LongFunction<List<PooledConnection>> idleSince;
    private ScheduledFuture<?> task;
    private boolean stopped;

    IdleSweeper(String backend, long idleTimeoutMillis, LongFunction<List<PooledConnection>> idleSince) {
        this.backend = backend;
        this.idleTimeoutMillis = idleTimeoutMillis;
        this.idleSince = idleSince;
    }

    /** Starts sweeping on {@code loop}, unless it sweeps already, the pool has no idle timeout or is closed. */
    synchronized void start(EventLoop loop) {
        if (task == null && !stopped && idleTimeoutMillis > 0) {
            long period = Math.max(10, Math.min(idleTimeoutMillis / 4, 1_000));
            task = loop.scheduleAtFixedRate(this::sweep, period, period, TimeUnit.MILLISECONDS);
        }
    }

    synchronized void stop() {
        stopped = true;
        if (task != null) {
            task.cancel(false);
        }
    }

    private void sweep() {
        for (PooledConnection idle : idleSince.apply(System.nanoTime()
                - TimeUnit.MILLISECONDS.toNanos(idleTimeoutMillis))) {
            LOG.debugf("pooled connection to %s as '%s' idle for %d ms, closing", backend, idle.user(),
                    idleTimeoutMillis);
            idle.channel().close();
        }
    }
}
