package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.backend.PrimaryElection;
import io.mysqlproxy.backend.BackendSelector;
import io.mysqlproxy.backend.HealthChecker;
import io.mysqlproxy.config.HealthCheck;
import io.mysqlproxy.config.ListenerConfig;
import io.mysqlproxy.config.LoginAdmission;
import io.mysqlproxy.config.MultiplexingConfig;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.config.RoutingConfig;
import io.mysqlproxy.metrics.ListenerMetrics;
import io.mysqlproxy.scripting.ConnectionInfo.BackendInfo;
import io.mysqlproxy.scripting.Script;
import io.mysqlproxy.scripting.ScriptRuntime;
import io.mysqlproxy.scripting.ScriptSession;
import io.netty.util.concurrent.EventExecutor;
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
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/** One listening socket, its backends and its client sessions. */
public final class Listener {
    static final String SESSION_HANDLER = "session";
    private static final Logger LOG = Logger.getLogger(Listener.class);
    private static final AtomicLong SESSION_IDS = new AtomicLong();

    /** What can change while the listener runs, replaced as a whole so that readers see one version. */
    private record Layout(ListenerConfig config, List<Backend> backends, List<BackendInfo> infos,
                          BackendSelector selector) {
    }

    private final ProxyContext context;
    private volatile SslContext clientSsl;
    private final Map<ClientSession, Channel> sessions = new ConcurrentHashMap<>();
    private final BackendPools pools;
    private final AtomicLongArray refusals = new AtomicLongArray(Refusal.values().length);
    private final ListenerMetrics metrics;
    private final List<ListenerScript> retiredScripts = new CopyOnWriteArrayList<>();
    private volatile Layout layout;
    private volatile ListenerScript script;
    private HealthChecker checker;
    /** Which backend with role auto takes the writes, from their servers' read_only. */
    private final PrimaryElection election;
    /** Logins in progress, bounded; clients beyond wait their turn. */
    private final LoginGate logins;
    private volatile Channel serverChannel;

    /** Builds the listener and starts its script (throws ScriptException when the script is rejected). */
    Listener(ListenerConfig config, ProxyContext context) {
        this.context = context;
        this.clientSsl = TlsContexts.forClients(config.tls());
        this.metrics = context.metrics().forListener(config.name());
        this.pools = new BackendPools(metrics);
        metrics.listenerGauges(sessions, Map::size);
        this.election = new PrimaryElection(config.name());
        this.logins = new LoginGate(config.logins());
        metrics.loginGauges(logins, LoginGate::inProgress, LoginGate::waiting);
        metrics.primaryChanges(election, PrimaryElection::changes);
        try {
            this.script = config.script() == null ? null
                    : ListenerScript.start(config.script(), context, metrics).begin();
        } catch (RuntimeException e) {
            metrics.remove();
            throw e;
        }
        this.layout = layout(config, List.of());
    }

    private Layout layout(ListenerConfig config, List<Backend> previous) {
        List<Backend> backends = pools.arrange(config, previous, poolConfig(config));
        return new Layout(config, backends, pools.describe(backends), new BackendSelector(config.policy()));
    }

    /**
     * Applies {@code next} (same address) while the listener runs: backends added, removed or re-weighted, the
     * policy and connection limit changed, TLS changed (a renewed certificate), the script swapped. Sessions already open keep their backend
     * connections. Throws ScriptException, leaving everything as it was, when the new script is rejected.
     */
    synchronized void update(ListenerConfig next) {
        ListenerConfig current = layout.config();
        if (!current.sameSocket(next)) {
            throw new IllegalArgumentException("listener " + current.name() + ": a new address needs a new socket");
        }
        SslContext ssl = current.tls().equals(next.tls()) ? clientSsl : TlsContexts.forClients(next.tls());
        if (!Objects.equals(current.script(), next.script())) {
            updateScript(next);
        }
        clientSsl = ssl; // new clients get the new certificate or mode; connected ones keep their TLS session
        if (!multiplexing(current).equals(multiplexing(next))) {
            // open sessions keep the mode they started with; limits apply to the pools from now on
            pools.reconfigure(poolConfig(next));
        }
        layout = layout(next, layout.backends());
        logins.reconfigure(next.logins());
        if (checker != null && !checker.check().equals(healthCheck())) {
            checker.stop();
            checker = startChecker();
        }
    }

    private void updateScript(ListenerConfig next) {
        ListenerScript running = script;
        if (next.script() == null) {
            script = null; // new sessions run without a script; open ones keep theirs
            if (running != null) {
                running.retire();
                retiredScripts.add(running);
            }
        } else if (running != null && running.canTake(next.script())) {
            running.update(next.script());
        } else {
            ListenerScript started = ListenerScript.start(next.script(), context, metrics);
            if (running != null) {
                running.retire();
                retiredScripts.add(running); // its sessions finish on it; its threads end with the listener
            }
            script = started.begin();
        }
    }

    /** The running script's pool, or null when the listener has no script. */
    public ScriptRuntime scripts() {
        ListenerScript s = script;
        return s == null ? null : s.runtime();
    }

    /** A new connection's script (the canary's for its share of connections), or null without a script. */
    ScriptSession attachScript(EventExecutor loop) {
        ListenerScript s = script;
        return s == null ? null : s.attach(loop);
    }

    /** The canary tried beside the running script, or null. */
    CanaryScript canary() {
        ListenerScript s = script;
        return s == null ? null : s.canary();
    }

    /**
     * A script version a listener runs, as the admin table {@code scripts} shows it: {@code role} stable or canary;
     * {@code state} running, rolled back or promoted; figures since the version started (the stable one's since the
     * listener started); {@code verdict} why a canary ended, with its figures.
     */
    public record ScriptRow(String listener, String role, String name, String checksum, String state,
                            Integer weightPercent, long connections, long queries, long hookErrors, long refused,
                            String verdict) {
    }

    /** The stable script and its canary, if any; empty without a script. */
    public List<ScriptRow> scriptRows() {
        ListenerScript s = script;
        if (s == null) {
            return List.of();
        }
        List<ScriptRow> rows = new ArrayList<>(2);
        rows.add(row("stable", s.runtime(), "running", null, ""));
        CanaryScript c = s.canary();
        if (c != null) {
            rows.add(row("canary", c.runtime(), c.state().label(), c.config().weightPercent(), c.verdict()));
        }
        return rows;
    }

    private ScriptRow row(String role, ScriptRuntime runtime, String state, Integer weight, String verdict) {
        Script current = runtime.current();
        var stats = runtime.stats();
        return new ScriptRow(name(), role, current.name(), current.checksum(), state, weight, stats.connections(),
                stats.queries(), stats.hookErrors(), stats.refusals(), verdict);
    }

    /** The Lua threads of this listener's scripts (the running one and replaced ones) that are stuck. */
    public List<String> stuckLuaThreads() {
        List<String> out = new ArrayList<>();
        ListenerScript s = script;
        if (s != null) {
            out.addAll(s.runtime().stuckThreads());
        }
        retiredScripts.forEach(r -> out.addAll(r.runtime().stuckThreads()));
        return out;
    }

    /** Re-reads a file script now; returns the running script, or null when the listener has none. */
    Script reloadScript() {
        ListenerScript s = script;
        return s == null ? null : s.reload();
    }

    HealthCheck healthCheck() {
        HealthCheck own = layout.config().healthCheck();
        return own != null ? own : context.healthCheck();
    }

    private HealthChecker startChecker() {
        HealthChecker c = new HealthChecker(healthCheck(), context.transport().eventLoops(),
                context.transport().channels(), this::backends, election);
        c.start();
        return c;
    }

    /** Logins in progress on this listener, and clients waiting for one. */
    LoginGate logins() {
        return logins;
    }

    public int loginsInProgress() {
        return logins.inProgress();
    }

    public int loginsWaiting() {
        return logins.waiting();
    }

    /** What is wrong with the writes among backends with role auto (several writable servers, none), or null. */
    public String primaryProblem() {
        return election.problem();
    }

    ListenerMetrics metrics() {
        return metrics;
    }

    /** The client sessions open now, as the admin table {@code connections} shows them. */
    public List<ConnectionRow> connections() {
        List<ConnectionRow> out = new ArrayList<>();
        for (ClientSession s : sessions.keySet()) {
            out.add(s.describe());
        }
        out.sort(Comparator.comparingLong(ConnectionRow::id));
        return out;
    }

    /** Whether the listener multiplexes its clients' backend connections now. */
    boolean multiplexes() {
        return multiplexing().enabled();
    }

    /**
     * The listener's multiplexing settings: its own, else the proxy's; read/write splitting turns it on (reads borrow
     * replica connections from their pool).
     */
    MultiplexingConfig multiplexing() {
        return multiplexing(layout.config());
    }

    private MultiplexingConfig multiplexing(ListenerConfig config) {
        MultiplexingConfig m = configuredMultiplexing(config);
        return config.routing().splits() && !m.enabled() ? m.withEnabled(true) : m;
    }

    private MultiplexingConfig configuredMultiplexing(ListenerConfig config) {
        return config.multiplexing() != null ? config.multiplexing() : context.pool().multiplexing();
    }

    /**
     * Whether a client of {@code user} is split without being multiplexed (multiplexing is off for the listener, or
     * for the user): it keeps the connections it logged in with, its primary's and its replica's, for itself.
     */
    boolean splitsWithoutMultiplexing(String user) {
        ListenerConfig config = layout.config();
        return config.routing().splits() && !configuredMultiplexing(config).appliesTo(user);
    }

    /** How the listener spreads statements over its backends now. */
    RoutingConfig routing() {
        return layout.config().routing();
    }

    /**
     * The 1-based index of the replica a new client of a splitting listener also logs into, so that its reads have
     * connections of its user there: the read-only backend taking connections, within the lag limit, with the fewest
     * clients; 0 for none.
     */
    int replicaForLogin() {
        Layout l = layout;
        Backend best = ReadWriteSplit.leastBusyReader(l.backends(), l.config().routing(), b -> true);
        return best == null ? 0 : l.backends().indexOf(best) + 1;
    }

    /** The proxy's pool settings with this listener's multiplexing. */
    PoolConfig poolConfig() {
        return poolConfig(layout.config());
    }

    private PoolConfig poolConfig(ListenerConfig config) {
        PoolConfig p = context.pool();
        return new PoolConfig(p.maxIdle(), p.minIdle(), p.idleTimeoutMillis(), p.maxAgeMillis(), p.pingAfterMillis(),
                multiplexing(config));
    }

    /** The multiplexed session a client knows by thread id {@code threadId} (see {@link Multiplexer}), or null. */
    ClientSession byClientThreadId(long threadId) {
        for (ClientSession s : sessions.keySet()) {
            if (s.multiplexed() && Multiplexer.clientThreadId(s.id()) == threadId) {
                return s;
            }
        }
        return null;
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
        pools.of(backend).evictAll();
    }

    /** Idle pooled connections to {@code backend}. */
    public List<PoolRow> pools() {
        List<PoolRow> rows = new ArrayList<>();
        for (Backend b : backends()) {
            IdlePool pool = pools.of(b);
            for (IdlePool.UserRow u : pool.users()) {
                rows.add(new PoolRow(name(), b.address().toString(), pool.openConnections(), u));
            }
        }
        return rows;
    }

    /** One row of the admin table {@code pools}: a backend's connections, and one user's share of them. */
    public record PoolRow(String listener, String backend, int opened, IdlePool.UserRow user) {
    }

    /** Idle pooled connections to {@code backend}. */
    public int pooledConnections(Backend backend) {
        return pools.of(backend).idle(null);
    }

    public String name() {
        return layout.config().name();
    }

    public ListenerConfig config() {
        return layout.config();
    }

    public List<Backend> backends() {
        return layout.backends();
    }

    public int connectionCount() {
        return sessions.size();
    }

    /** Why a client connection was refused. */
    public enum Refusal { MAX_CONNECTIONS, NO_BACKEND, MAX_LOGINS }

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
                .group(context.transport().acceptors(), new ListenerLoops(context.transport().eventLoops(),
                        this::scripts))
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
                        attach(session, ch);
                        ch.pipeline().addLast(SESSION_HANDLER, session);
                    }
                });
        CompletableFuture<Listener> started = new CompletableFuture<>();
        ListenerConfig config = layout.config();
        ChannelFuture bind = bootstrap.bind(config.address().host(), config.address().port());
        bind.addListener(f -> {
            if (f.isSuccess()) {
                serverChannel = bind.channel();
                LOG.infof("listener %s on %s relays to %s (%s)", config.name(), serverChannel.localAddress(),
                        layout.backends(), config.policy().label());
                synchronized (this) {
                    checker = startChecker();
                }
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

    /** The idle pool of {@code backend}; for a backend removed from the listener, one that keeps nothing. */
    IdlePool pool(Backend backend) {
        return pools.of(backend);
    }

    /** MySQL Proxy's 1-based backend index, 0 for none. */
    int backendIndex(Backend backend) {
        return backend == null ? 0 : layout.backends().indexOf(backend) + 1;
    }

    /** The backends as scripts see them in {@code proxy.global.backends}: built per layout, figures read live. */
    List<BackendInfo> backendInfos() {
        return layout.infos();
    }

    List<Backend> candidates() {
        Layout l = layout;
        return l.selector().candidates(l.backends());
    }

    /** The backends a login tries when a script picked {@code backendNdx} (1-based; 0 for none). */
    List<Backend> candidatesPreferring(int backendNdx) {
        Layout l = layout;
        return BackendSelector.preferring(l.selector().candidates(l.backends()), l.backends(), backendNdx);
    }

    /** {@code session} runs on the client connection {@code channel}, counted among the listener's sessions. */
    void attach(ClientSession session, Channel channel) {
        sessions.put(session, channel);
    }

    Channel channelOf(ClientSession session) {
        return sessions.get(session);
    }

    boolean admit(ClientSession session) {
        if (sessions.size() <= layout.config().maxConnections()) {
            metrics.accepted();
            return true;
        }
        return false;
    }

    /** Counts a client refused beyond the listener's connection limit; the message its error carries. */
    String tooManyConnections() {
        refused(Refusal.MAX_CONNECTIONS);
        return "Too many connections: listener " + name() + " allows " + config().maxConnections();
    }

    /** Counts a client refused because no login slot came in time; the message its error carries. */
    String tooManyLogins() {
        refused(Refusal.MAX_LOGINS);
        LoginAdmission limits = logins.limits();
        return "Too many connections: listener " + name() + " runs " + limits.maxLogins()
                + " logins at once (mysqlproxy --proxy-max-logins)" + (limits.queueTimeoutMillis() > 0
                ? " and none ended within " + limits.queueTimeoutMillis() + " ms" : "") + "; try again";
    }

    void refused(Refusal reason) {
        refusals.incrementAndGet(reason.ordinal());
        switch (reason) {
            case MAX_CONNECTIONS -> metrics.refusedMaxConnections();
            case NO_BACKEND -> metrics.refusedNoBackend();
            case MAX_LOGINS -> metrics.refusedMaxLogins();
        }
    }

    void remove(ClientSession session) {
        sessions.remove(session);
    }

    /**
     * Stops accepting; running commands may finish until {@code deadlineNanos}, then every session is closed.
     * Does not wait: callers hold the proxy's lock, which the acceptor thread that closes the socket may need.
     */
    CompletableFuture<Void> shutdown(long deadlineNanos) {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        Channel socket = serverChannel;
        if (socket != null) {
            socket.close().addListener(f -> closed.complete(null));
        } else {
            closed.complete(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        closed.thenRun(() -> {
            synchronized (this) {
                if (checker != null) {
                    checker.stop();
                }
            }
            LOG.infof("listener %s stopped accepting; draining %d sessions", name(), sessions.size());
            pools.closeAll();
            sessions.keySet().forEach(ClientSession::drain);
            awaitDrained(deadlineNanos, false, done);
        });
        return done.thenRun(() -> {
            metrics.remove();
            ListenerScript s = script;
            if (s != null) {
                s.close();
            }
            retiredScripts.forEach(ListenerScript::close);
        });
    }

    private void awaitDrained(long deadlineNanos, boolean closing, CompletableFuture<Void> done) {
        if (sessions.isEmpty()) {
            done.complete(null);
            return;
        }
        boolean pastDeadline = System.nanoTime() - deadlineNanos >= 0;
        if (pastDeadline && !closing) {
            LOG.infof("listener %s: shutdown deadline reached, closing %d sessions", name(), sessions.size());
            sessions.forEach((session, ch) -> ch.eventLoop().execute(session::shutdownNow));
        }
        context.transport().eventLoops().next().schedule(() -> awaitDrained(deadlineNanos, pastDeadline, done), 20,
                TimeUnit.MILLISECONDS);
    }
}
