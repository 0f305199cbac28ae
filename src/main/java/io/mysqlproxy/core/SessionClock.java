package io.mysqlproxy.core;

import io.mysqlproxy.config.Limits;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import org.jboss.logging.Logger;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The one periodic task per event loop that judges the login deadline and the idle and read timeouts of every
 * session on that loop, instead of a scheduled task per session per timeout (two idle-state handlers in the pipelines
 * and a login deadline each). Time is counted in ticks of the loop's scheduler, not read from the system clock: no
 * clock call on the relay path, and the loop's own notion of time is the one that counts. A timeout strikes at the
 * first tick at which it has certainly passed: never early, up to two ticks late; a tick is a twentieth of the
 * shortest timeout, from 10 ms to 1 s (500 ms with the default 10 s handshake timeout).
 */
final class SessionClock {
    private static final Logger LOG = Logger.getLogger(SessionClock.class);
    private final EventLoop loop;
    private final long tickMillis;
    private final Runnable stopped;
    private ClientSession[] sessions = new ClientSession[16];
    private int size;
    /** While a tick runs, sessions that end leave a hole, closed when the tick is over. */
    private boolean ticking;
    private boolean holes;
    private ScheduledFuture<?> task;

    private SessionClock(EventLoop loop, long tickMillis, Runnable stopped) {
        this.loop = loop;
        this.tickMillis = tickMillis;
        this.stopped = stopped;
    }

    /** How often the sessions are looked at under {@code limits}. */
    static long tickMillis(Limits limits) {
        long shortest = Long.MAX_VALUE;
        for (long t : new long[] {limits.handshakeTimeoutMillis(), limits.idleTimeoutMillis(),
                limits.readTimeoutMillis()}) {
            if (t > 0) {
                shortest = Math.min(shortest, t);
            }
        }
        return Math.max(10, Math.min(shortest / 20, 1_000));
    }

    /** Starts watching {@code session} (on its loop); it is watched until {@link #unwatch}. */
    void watch(ClientSession session) {
        if (size == sessions.length) {
            sessions = Arrays.copyOf(sessions, size * 2);
        }
        session.clockSlot = size;
        sessions[size++] = session;
        if (task == null) {
            task = loop.scheduleAtFixedRate(this::tick, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
        }
    }

    void unwatch(ClientSession session) {
        if (!loop.inEventLoop()) {
            loop.execute(() -> unwatch(session));
            return;
        }
        int slot = session.clockSlot;
        if (slot < 0 || slot >= size || sessions[slot] != session) {
            return;
        }
        session.clockSlot = -1;
        if (ticking) {
            sessions[slot] = null;
            holes = true;
            return;
        }
        removeAt(slot);
        stopIfIdle();
    }

    private void removeAt(int slot) {
        ClientSession last = sessions[--size];
        sessions[size] = null;
        if (slot < size) {
            sessions[slot] = last;
            last.clockSlot = slot;
        }
    }

    private void tick() {
        ticking = true;
        try {
            for (int i = 0; i < size; i++) {
                ClientSession s = sessions[i];
                if (s != null) {
                    try {
                        s.tick(tickMillis);
                    } catch (RuntimeException e) {
                        // a failure escaping the task would cancel it, and with it every timeout of the loop
                        LOG.errorf(e, "session %d: judging its timeouts failed; closing it", s.id());
                        s.close();
                    }
                }
            }
        } finally {
            ticking = false;
        }
        if (holes) {
            holes = false;
            for (int i = size - 1; i >= 0; i--) {
                if (sessions[i] == null) {
                    removeAt(i);
                }
            }
            stopIfIdle();
        }
    }

    private void stopIfIdle() {
        if (size == 0 && task != null) {
            task.cancel(false);
            task = null;
            if (sessions.length > 16) {
                sessions = new ClientSession[16];
            }
            stopped.run();
        }
    }

    /** A proxy's clocks, one per event loop that has sessions; a loop's clock goes when its last session ended. */
    static final class PerLoop {
        private final long tickMillis;
        private final Map<EventLoop, SessionClock> clocks = new ConcurrentHashMap<>();

        PerLoop(Limits limits) {
            this.tickMillis = tickMillis(limits);
        }

        /** The clock of {@code loop} (called on that loop). */
        SessionClock of(EventLoop loop) {
            return clocks.computeIfAbsent(loop, l -> new SessionClock(l, tickMillis, () -> clocks.remove(l)));
        }
    }
}
