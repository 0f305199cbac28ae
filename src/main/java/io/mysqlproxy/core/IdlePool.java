package io.mysqlproxy.core;

import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.protocol.Capabilities;
import io.mysqlproxy.protocol.HandshakeV10;
import io.mysqlproxy.scripting.PoolView;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import org.jboss.logging.Logger;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One backend's idle connections, as MySQL Proxy kept them: logged-in connections a client left behind, by the
 * user they are logged in as. A new client takes one over (the proxy replays the connection's greeting and turns
 * the client's login into COM_CHANGE_USER), which saves the backend a connection and a thread. A connection is
 * only handed to a client on its own event loop, so that a session's sockets still share one thread.
 */
final class IdlePool implements PoolView {
    private static final Logger LOG = Logger.getLogger(IdlePool.class);
    /** Capabilities that only matter while logging in: a pooled connection fits clients that differ in these. */
    private static final long LOGIN_ONLY = Capabilities.CLIENT_SSL | Capabilities.CLIENT_CONNECT_WITH_DB
            | Capabilities.CLIENT_CONNECT_ATTRS | Capabilities.CLIENT_PLUGIN_AUTH
            | Capabilities.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | Capabilities.CLIENT_SECURE_CONNECTION
            | Capabilities.CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS | Capabilities.CLIENT_REMEMBER_OPTIONS
            | Capabilities.CLIENT_SSL_VERIFY_SERVER_CERT | Capabilities.CLIENT_LONG_PASSWORD_FLAG;

    /** A logged-in connection waiting for a client; {@code capabilities} are those it negotiated. */
    record Idle(Channel channel, HandshakeV10 greeting, String user, long capabilities) {
        /** Whether a client that negotiates {@code negotiated} can go on with this connection's session. */
        boolean fits(long negotiated) {
            return ((negotiated ^ capabilities) & ~LOGIN_ONLY) == 0;
        }
    }

    private final String backend;
    private final long idleTimeoutMillis;
    private volatile int minIdle;
    private volatile int maxIdle;
    private volatile boolean closed;
    private final Map<String, Deque<Idle>> byUser = new HashMap<>();

    IdlePool(String backend, PoolConfig config) {
        this.backend = backend;
        this.idleTimeoutMillis = config.idleTimeoutMillis();
        this.minIdle = config.minIdle();
        this.maxIdle = config.maxIdle();
    }

    /** Keeps {@code idle} if there is room for its user; the caller closes it otherwise. */
    boolean offer(Idle idle) {
        synchronized (this) {
            Deque<Idle> queue = byUser.computeIfAbsent(idle.user(), u -> new ArrayDeque<>());
            if (closed || queue.size() >= maxIdle || !idle.channel().isActive()) {
                return false;
            }
            queue.addLast(idle);
        }
        Channel ch = idle.channel();
        if (ch.pipeline().get("timeouts") != null) {
            ch.pipeline().remove("timeouts");
        }
        ch.pipeline().replace(BackendHandler.NAME, BackendHandler.NAME, new Watcher(idle));
        ch.config().setAutoRead(true);
        if (idleTimeoutMillis > 0) {
            ch.eventLoop().schedule(() -> {
                if (remove(idle)) {
                    LOG.debugf("pooled connection to %s as '%s' idle for %d ms, closing", backend, idle.user(),
                            idleTimeoutMillis);
                    ch.close();
                }
            }, idleTimeoutMillis, TimeUnit.MILLISECONDS);
        }
        return true;
    }

    /**
     * An idle connection for a client on {@code loop} whose user is not known yet, taken from a user that has more
     * than the minimum idle, or null; one already on {@code loop} if there is one. The caller moves it to its loop
     * ({@link #moveTo}) and replaces the pool's handler.
     */
    synchronized Idle take(EventLoop loop) {
        Idle elsewhere = null;
        for (Deque<Idle> queue : byUser.values()) {
            if (queue.size() <= minIdle) {
                continue;
            }
            for (Idle idle : queue) {
                if (idle.channel().isActive()) {
                    if (idle.channel().eventLoop() == loop) {
                        queue.remove(idle);
                        return idle;
                    }
                    elsewhere = elsewhere == null ? idle : elsewhere;
                }
            }
        }
        if (elsewhere != null) {
            byUser.get(elsewhere.user()).remove(elsewhere);
        }
        return elsewhere;
    }

    /**
     * Moves a taken connection to the event loop of the client that took it (a session's sockets share one
     * thread), then calls {@code done} on that loop with whether it worked.
     */
    static void moveTo(Channel ch, EventLoop loop, java.util.function.Consumer<Boolean> done) {
        if (ch.eventLoop() == loop) {
            done.accept(true);
            return;
        }
        ch.deregister().addListener(d -> {
            if (!d.isSuccess()) {
                loop.execute(() -> done.accept(false));
                return;
            }
            loop.register(ch).addListener(r -> done.accept(r.isSuccess() && ch.isActive()));
        });
    }

    private synchronized boolean remove(Idle idle) {
        Deque<Idle> queue = byUser.get(idle.user());
        return queue != null && queue.remove(idle);
    }

    /** Closes every idle connection and keeps no more (shutdown). */
    void close() {
        closed = true;
        evictAll();
    }

    /** Closes every idle connection (its backend was taken offline); later ones are kept again. */
    void evictAll() {
        java.util.List<Idle> all = new java.util.ArrayList<>();
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

    @Override
    public void maxIdle(int value) {
        maxIdle = Math.max(0, value);
    }

    @Override
    public synchronized int idle(String user) {
        if (user == null || user.isEmpty()) {
            return byUser.values().stream().mapToInt(Deque::size).sum();
        }
        Deque<Idle> queue = byUser.get(user);
        return queue == null ? 0 : queue.size();
    }

    /** Watches an idle connection: whatever the server says now is its last word before it closes. */
    private final class Watcher extends ChannelInboundHandlerAdapter {
        private final Idle idle;

        Watcher(Idle idle) {
            this.idle = idle;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ((ByteBuf) msg).release();
            if (remove(idle)) {
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (remove(idle)) {
                LOG.debugf("pooled connection to %s as '%s' closed by the server", backend, idle.user());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
