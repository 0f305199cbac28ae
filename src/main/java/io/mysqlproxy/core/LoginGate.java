package io.mysqlproxy.core;

import io.mysqlproxy.config.LoginAdmission;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A listener's logins in progress, at most {@link LoginAdmission#maxLogins()} at once. A client beyond waits in a
 * queue, first come first served, until a login ends or its queue timeout strikes (then it is refused). Sessions on
 * every event loop share it, hence the lock; what a client does next runs on its own loop.
 */
final class LoginGate {
    /** One login's place: given back once, whichever way the login ends. */
    final class Slot {
        private final AtomicBoolean held = new AtomicBoolean(true);

        void release() {
            if (held.compareAndSet(true, false)) {
                slotFreed();
            }
        }
    }

    /** A client waiting for a slot: {@code admitted} gets it on {@code loop}, {@code refused} runs at the timeout. */
    final class Waiter {
        private final EventLoop loop;
        private final Consumer<Slot> admitted;
        private final Runnable refused;
        private ScheduledFuture<?> timer;

        private Waiter(EventLoop loop, Consumer<Slot> admitted, Runnable refused) {
            this.loop = loop;
            this.admitted = admitted;
            this.refused = refused;
        }

        /** The client left while it waited: its place goes. */
        void cancel() {
            if (remove(this)) {
                timer.cancel(false);
            }
        }
    }

    private volatile LoginAdmission limits;
    private final Deque<Waiter> queue = new ArrayDeque<>();
    private int inProgress;

    LoginGate(LoginAdmission limits) {
        this.limits = limits;
    }

    /** New limits (the listener's configuration changed); logins and waiters already there keep their place. */
    void reconfigure(LoginAdmission next) {
        limits = next;
    }

    /**
     * A client wants to log in: {@code admitted} runs now (on the caller's loop) with its slot if one is free, else
     * it waits; {@code refused} runs on {@code loop} when no slot came within the queue timeout. Returns the waiter,
     * or null when the client was admitted or refused at once.
     */
    Waiter enter(EventLoop loop, Consumer<Slot> admitted, Runnable refused) {
        LoginAdmission l = limits;
        boolean admit;
        synchronized (this) {
            if (inProgress < l.maxLogins()) {
                inProgress++;
                admit = true;
            } else if (l.queueTimeoutMillis() == 0) {
                admit = false;
            } else {
                Waiter w = new Waiter(loop, admitted, refused);
                queue.addLast(w);
                // under the lock: a slot freed meanwhile finds the timer to cancel
                w.timer = loop.schedule(() -> {
                    if (remove(w)) {
                        w.refused.run();
                    }
                }, l.queueTimeoutMillis(), TimeUnit.MILLISECONDS);
                return w;
            }
        }
        if (admit) {
            admitted.accept(new Slot());
        } else {
            refused.run();
        }
        return null;
    }

    private synchronized boolean remove(Waiter w) {
        return queue.remove(w);
    }

    /** A login ended: its slot goes to the first waiting client, if any. */
    private void slotFreed() {
        Waiter next;
        synchronized (this) {
            next = queue.pollFirst();
            if (next == null) {
                inProgress--;
                return;
            }
        }
        next.timer.cancel(false);
        Slot slot = new Slot();
        next.loop.execute(() -> next.admitted.accept(slot));
    }

    /** Logins in progress now. */
    synchronized int inProgress() {
        return inProgress;
    }

    /** Clients waiting for a login now. */
    synchronized int waiting() {
        return queue.size();
    }

    LoginAdmission limits() {
        return limits;
    }
}
