package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.backend.BackendConfig;
import io.mysqlproxy.backend.BackendSelector;
import io.mysqlproxy.config.ListenerConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.ssl.SslContext;
import org.jboss.logging.Logger;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/** One listening socket, its backends and its client sessions. */
public final class Listener {
    static final String SESSION_HANDLER = "session";
    private static final Logger LOG = Logger.getLogger(Listener.class);
    private static final AtomicLong SESSION_IDS = new AtomicLong();

    private final ListenerConfig config;
    private final ProxyContext context;
    private final List<Backend> backends;
    private final BackendSelector selector;
    private final SslContext clientSsl;
    private final Map<ClientSession, Channel> sessions = new ConcurrentHashMap<>();
    private final Map<Backend, IdlePool> pools = new java.util.IdentityHashMap<>();
    private final List<io.mysqlproxy.scripting.ConnectionInfo.BackendInfo> backendInfos;
    private final AtomicLongArray refusals = new AtomicLongArray(Refusal.values().length);
    private final io.mysqlproxy.metrics.ListenerMetrics metrics;
    private Channel serverChannel;

    Listener(ListenerConfig config, ProxyContext context) {
        this.config = config;
        this.context = context;
        List<Backend> list = new ArrayList<>();
        for (BackendConfig b : config.backends()) {
            list.add(new Backend(b));
        }
        this.backends = List.copyOf(list);
        for (Backend b : backends) {
            pools.put(b, new IdlePool(b.address().toString(), context.pool()));
        }
        this.backendInfos = describeBackends();
        this.selector = new BackendSelector(config.policy());
        this.clientSsl = TlsContexts.forClients(config.tls());
        this.metrics = context.metrics().forListener(config.name());
        metrics.listenerGauges(sessions, Map::size);
        for (Backend b : backends) {
            IdlePool pool = pools.get(b);
            metrics.backendGauges(b.address().toString(), b, Backend::connectedClients, x -> pool.idle(null),
                    x -> x.state().acceptsConnections() ? 1 : 0,
                    x -> x.lastCheckNanos() < 0 ? -1 : x.lastCheckNanos() / 1e9);
        }
    }

    io.mysqlproxy.metrics.ListenerMetrics metrics() {
        return metrics;
    }

    /** The client sessions open now, as the admin table {@code connections} shows them. */
    public List<ClientSession.ConnectionRow> connections() {
        List<ClientSession.ConnectionRow> out = new ArrayList<>();
        for (ClientSession s : sessions.keySet()) {
            out.add(s.describe());
        }
        out.sort(java.util.Comparator.comparingLong(ClientSession.ConnectionRow::id));
        return out;
    }

    /** Closes client session {@code id} with an error (KILL from the admin interface); false if it is not here. */
    public boolean kill(long id) {
        for (Map.Entry<ClientSession, Channel> e : sessions.entrySet()) {
            if (e.getKey().id() == id) {
                e.getValue().eventLoop().execute(e.getKey()::killedByAdmin);
                return true;
            }
        }
        return false;
    }

    /** Closes the idle pooled connections to {@code backend} (it was taken offline). */
    public void evictPooled(Backend backend) {
        IdlePool pool = pools.get(backend);
        if (pool != null) {
            pool.evictAll();
        }
    }

    /** Idle pooled connections to {@code backend}. */
    public int pooledConnections(Backend backend) {
        IdlePool pool = pools.get(backend);
        return pool == null ? 0 : pool.idle(null);
    }

    public String name() {
        return config.name();
    }

    public ListenerConfig config() {
        return config;
    }

    public List<Backend> backends() {
        return backends;
    }

    public int connectionCount() {
        return sessions.size();
    }

    /** Why a client connection was refused. */
    public enum Refusal { MAX_CONNECTIONS, NO_BACKEND }

    /** Connections refused so far for {@code reason}. */
    public long refusedCount(Refusal reason) {
        return refusals.get(reason.ordinal());
    }

    /** The port actually bound (useful when configured as 0). */
    public int boundPort() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    CompletableFuture<Listener> start() {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(context.transport().acceptors(), context.transport().eventLoops())
                .channelFactory(context.transport().serverChannels())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ClientSession session = new ClientSession(Listener.this, context,
                                SESSION_IDS.incrementAndGet());
                        sessions.put(session, ch);
                        ch.pipeline().addLast(SESSION_HANDLER, session);
                    }
                });
        CompletableFuture<Listener> started = new CompletableFuture<>();
        ChannelFuture bind = bootstrap.bind(config.address().host(), config.address().port());
        bind.addListener(f -> {
            if (f.isSuccess()) {
                serverChannel = bind.channel();
                LOG.infof("listener %s on %s relays to %s (%s)", config.name(), serverChannel.localAddress(),
                        backends, selector.policy().label());
                started.complete(this);
            } else {
                started.completeExceptionally(new IllegalStateException("listener " + config.name()
                        + " cannot bind " + config.address() + ": " + f.cause().getMessage(), f.cause()));
            }
        });
        return started;
    }

    boolean clientTlsEnabled() {
        return clientSsl != null;
    }

    SslContext clientSsl() {
        return clientSsl;
    }

    IdlePool pool(Backend backend) {
        return pools.get(backend);
    }

    /** MySQL Proxy's 1-based backend index, 0 for none. */
    int backendIndex(Backend backend) {
        return backend == null ? 0 : backends.indexOf(backend) + 1;
    }

    /** The backends as scripts see them in {@code proxy.global.backends}: built once, their figures read live. */
    List<io.mysqlproxy.scripting.ConnectionInfo.BackendInfo> backendInfos() {
        return backendInfos;
    }

    private List<io.mysqlproxy.scripting.ConnectionInfo.BackendInfo> describeBackends() {
        List<io.mysqlproxy.scripting.ConnectionInfo.BackendInfo> out = new ArrayList<>(backends.size());
        for (Backend b : backends) {
            out.add(new io.mysqlproxy.scripting.ConnectionInfo.BackendInfo(b.address().host(), b.address().port(),
                    () -> b.state().ordinal(), b.role() == io.mysqlproxy.backend.BackendRole.READ_WRITE ? 1 : 2,
                    b::connectedClients, b.weight(), pools.get(b),
                    s -> b.setByScript(io.mysqlproxy.backend.BackendState.values()[s])));
        }
        return List.copyOf(out);
    }

    List<Backend> candidates() {
        return selector.candidates(backends);
    }

    Channel channelOf(ClientSession session) {
        return sessions.get(session);
    }

    boolean admit(ClientSession session) {
        if (sessions.size() <= config.maxConnections()) {
            metrics.accepted();
            return true;
        }
        return false;
    }

    void refused(Refusal reason) {
        refusals.incrementAndGet(reason.ordinal());
        if (reason == Refusal.MAX_CONNECTIONS) {
            metrics.refusedMaxConnections();
        } else {
            metrics.refusedNoBackend();
        }
    }

    void remove(ClientSession session) {
        sessions.remove(session);
    }

    /** Stops accepting; running commands may finish until {@code deadlineNanos}, then every session is closed. */
    CompletableFuture<Void> shutdown(long deadlineNanos) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        LOG.infof("listener %s stopped accepting; draining %d sessions", config.name(), sessions.size());
        pools.values().forEach(IdlePool::close);
        sessions.keySet().forEach(ClientSession::drain);
        awaitDrained(deadlineNanos, done);
        return done.thenRun(metrics::remove);
    }

    private void awaitDrained(long deadlineNanos, CompletableFuture<Void> done) {
        if (sessions.isEmpty()) {
            done.complete(null);
            return;
        }
        if (System.nanoTime() - deadlineNanos >= 0) {
            LOG.infof("listener %s: shutdown deadline reached, closing %d sessions", config.name(), sessions.size());
            sessions.forEach((session, ch) -> ch.eventLoop().execute(session::shutdownNow));
        }
        context.transport().eventLoops().next().schedule(() -> awaitDrained(deadlineNanos, done), 20,
                java.util.concurrent.TimeUnit.MILLISECONDS);
    }
}
