package io.mysqlproxy.core;

import io.netty.channel.EventLoop;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** A {@link ProxyExchange} that ends once, and is told when it has not ended within its time. */
abstract class TimedExchange implements ProxyExchange {
    private final ScheduledFuture<?> timer;
    private boolean over;

    /** {@code timeoutMillis} (0: none) from now, {@link #timedOut} is called unless it ended. */
    TimedExchange(EventLoop loop, long timeoutMillis) {
        this.timer = timeoutMillis <= 0 ? null : loop.schedule(() -> {
            if (!over) {
                timedOut(timeoutMillis);
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** Its time ran out; it has not ended yet. */
    abstract void timedOut(long timeoutMillis);

    /** Lets go of what the exchange holds, once. */
    void released() {
    }

    final boolean over() {
        return over;
    }

    @Override
    public final boolean end() {
        if (over) {
            return false;
        }
        over = true;
        if (timer != null) {
            timer.cancel(false);
        }
        released();
        return true;
    }
}
