package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.protocol.ErrorCodes;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import org.jboss.logging.Logger;

import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Where a login's backend connection comes from: the backends in order, failing over when one cannot be reached,
 * and all of them again after a pause while the connect timeout has not run out since the login began (a client
 * arriving while its server restarts gets in instead of an error). A pooled connection is taken over where the
 * login allows; with multiplexing, a login opens a connection while the limit allows, else takes over an idle one
 * or waits for one to come back.
 */
final class BackendAcquirer {
    private static final Logger LOG = Logger.getLogger(BackendAcquirer.class);
    /** Between two rounds of connection attempts to backends that all failed. */
    static final long RETRY_PAUSE_MILLIS = 200;

    /** The login the connection is for. Called on the login's event loop. */
    interface Receiver {
        /** A new connection to {@code backend}, counted in its pool; its greeting comes next. */
        void connected(Backend backend, Channel channel);

        /** A logged-in pooled connection to {@code backend}, moved to the login's event loop. */
        void takeOver(Backend backend, PooledConnection idle);

        /** No connection could be had: the client gets this error and the session ends. */
        void failed(int code, String sqlState, String message);

        /** Whether the login may take over a pooled connection now (clients answer only one auth switch). */
        boolean mayTakePooled();

        /** Whether the login no longer wants a connection (the client left). */
        boolean gone();
    }

    private final Listener listener;
    private final ProxyContext context;
    private final EventLoop loop;
    /** Who the connection is for, in log lines: "session 12 (client /10.0.0.5:41234)". */
    private final String who;
    private final Supplier<ChannelHandler> handlers;
    private final Receiver receiver;
    private Iterator<Backend> candidates = List.<Backend>of().iterator();
    private boolean retryable;
    private long startedNanos;
    /** Why the last backend tried could not be used; null while none was tried. */
    private String lastFailure;

    BackendAcquirer(Listener listener, ProxyContext context, EventLoop loop, String who,
                    Supplier<ChannelHandler> handlers, Receiver receiver) {
        this.listener = listener;
        this.context = context;
        this.loop = loop;
        this.who = who;
        this.handlers = handlers;
        this.receiver = receiver;
    }

    /** Tries {@code order}, then every backend of the listener again until the connect timeout runs out. */
    void start(List<Backend> order) {
        startedNanos = System.nanoTime();
        candidates = order.iterator();
        retryable = true;
        next();
    }

    /** A new connection to {@code backend} and nothing else: no pooled one, no other backend, no retry. */
    void freshTo(Backend backend) {
        candidates = List.of(backend).iterator();
        retryable = false;
        next();
    }

    /** The backend closed the new connection before greeting: like a refused connection, the next one is tried. */
    void closedBeforeGreeting(Backend lost) {
        lastFailure = lost.address() + ": closed the connection before its greeting";
        LOG.debugf("%s: backend %s closed the connection before its greeting", who, lost.address());
        lost.probeFailed("closed the connection before its greeting", listener.healthCheck().failuresToDown());
        if (candidates.hasNext()) {
            listener.metrics().failover();
        }
        next();
    }

    private void next() {
        if (!candidates.hasNext()) {
            if (retryable && retryLater()) {
                return;
            }
            String why = lastFailure != null ? lastFailure
                    : listener.primaryProblem() != null ? listener.primaryProblem() : "no backend is up";
            LOG.warnf("%s: no backend on listener %s: %s", who, listener.name(), why);
            listener.refused(Listener.Refusal.NO_BACKEND);
            receiver.failed(ErrorCodes.NO_BACKEND, ErrorCodes.STATE_CONNECTION_FAILURE,
                    "mysqlproxy: no backend available for listener " + listener.name() + " (" + why + ")");
            return;
        }
        Backend backend = candidates.next();
        boolean mayTakePooled = receiver.mayTakePooled();
        IdlePool pool = listener.pool(backend);
        if (mayTakePooled && listener.multiplexing().enabled()) {
            // a login adds a connection to the pool while the limit allows: clients that pin (prepared statements,
            // transactions) need one each, and the proxy can open none without a login; beyond the limit, logins
            // take over idle connections
            if (pool.reserve()) {
                connectReserved(backend);
                return;
            }
            PooledConnection idle = pool.take(loop);
            if (idle != null) {
                takeOver(backend, idle);
            } else {
                awaitFreeConnection(backend, pool);
            }
            return;
        }
        PooledConnection idle = mayTakePooled ? pool.take(loop) : null;
        if (idle != null) {
            takeOver(backend, idle);
            return;
        }
        connectTo(backend);
    }

    private boolean retryLater() {
        long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
        if (elapsed + RETRY_PAUSE_MILLIS >= context.limits().connectTimeoutMillis()
                || listener.candidates().isEmpty()) {
            return false; // the time is up, or every backend is set offline: nothing to wait for
        }
        loop.schedule(() -> {
            if (!receiver.gone()) {
                candidates = listener.candidates().iterator();
                next();
            }
        }, RETRY_PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        return true;
    }

    private void takeOver(Backend backend, PooledConnection idle) {
        idle.moveTo(loop, moved -> {
            if (!moved || receiver.gone()) {
                idle.channel().close();
                if (!receiver.gone()) {
                    connectTo(backend);
                }
            } else {
                receiver.takeOver(backend, idle);
            }
        });
    }

    /**
     * Multiplexing opened as many connections to {@code backend} as it may: the login waits for one to come back
     * to the pool and takes it over (COM_CHANGE_USER), or gets error 1040 when none comes in time.
     */
    private void awaitFreeConnection(Backend backend, IdlePool pool) {
        long timeout = listener.multiplexing().waitTimeoutMillis();
        @SuppressWarnings("unchecked")
        Consumer<PooledConnection>[] waiter = new Consumer[1];
        ScheduledFuture<?> expiry = loop.schedule(() -> {
            if (pool.cancelLogin(waiter[0]) && !receiver.gone()) {
                LOG.infof("%s: no connection to %s became free within %d ms", who, backend.address(), timeout);
                receiver.failed(ErrorCodes.TOO_MANY_CONNECTIONS, ErrorCodes.STATE_CONNECTION_REJECTED,
                        "mysqlproxy: all " + listener.multiplexing().maxConnections() + " connections to "
                                + backend.address() + " are in use and none became free within " + timeout + " ms");
            }
        }, timeout, TimeUnit.MILLISECONDS);
        waiter[0] = idle -> loop.execute(() -> {
            expiry.cancel(false);
            if (receiver.gone()) {
                if (!pool.offer(idle)) {
                    idle.channel().close();
                }
                return;
            }
            takeOver(backend, idle);
        });
        pool.awaitLogin(waiter[0]);
    }

    private void connectTo(Backend backend) {
        IdlePool pool = listener.pool(backend);
        if (!pool.reserve()) {
            if (receiver.mayTakePooled()) {
                awaitFreeConnection(backend, pool);
                return;
            }
            pool.reserveBeyondLimit(); // this client cannot take over a pooled connection
        }
        connectReserved(backend);
    }

    /** Opens a connection to {@code backend}, counted in its pool already. */
    private void connectReserved(Backend backend) {
        context.connector().connect(loop, backend, handlers.get()).addListener((ChannelFuture f) -> connected(backend, f));
    }

    private void connected(Backend backend, ChannelFuture f) {
        IdlePool pool = listener.pool(backend);
        if (!f.isSuccess()) {
            pool.notOpened();
        } else {
            pool.opened(f.channel());
        }
        if (receiver.gone()) {
            f.channel().close();
            return;
        }
        if (!f.isSuccess()) {
            lastFailure = backend.address() + ": " + f.cause().getMessage();
            LOG.debugf("%s: cannot connect to backend %s: %s", who, backend.address(), f.cause().getMessage());
            if (!Backend.localFailure(f.cause())) {
                backend.probeFailed("connection failed: " + f.cause().getMessage(),
                        listener.healthCheck().failuresToDown());
            }
            if (candidates.hasNext()) {
                listener.metrics().failover();
            }
            next();
            return;
        }
        receiver.connected(backend, f.channel());
    }
}
