package io.mysqlproxy.core;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mysqlproxy.admin.AdminServer;
import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.config.Limits;
import io.mysqlproxy.config.ListenerConfig;
import io.mysqlproxy.config.ListenerRegistry;
import io.mysqlproxy.config.ProxyConfig;
import io.mysqlproxy.metrics.ProxyMetrics;
import io.mysqlproxy.metrics.QueryDigests;
import io.mysqlproxy.scripting.Script;
import io.mysqlproxy.scripting.ScriptRuntime;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Vertx;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The running proxy: its listeners (each with its backends, health checker and script) and the admin interface.
 * Listeners come from the command line at start and from {@link #putListener}/{@link #removeListener} while it
 * runs (the operator's path): the one place where configuration is applied to running sockets.
 */
public final class ProxyServer implements ListenerRegistry, AdminView {
    private static final Logger LOG = Logger.getLogger(ProxyServer.class);

    private final ProxyConfig config;
    private final ProxyContext context;
    private final Map<String, Listener> listeners = new LinkedHashMap<>();
    /** Listeners being drained; a concurrent set, since a drain ends on an event loop, which must not wait for this. */
    private final Set<CompletableFuture<Void>> draining = ConcurrentHashMap.newKeySet();
    /** Admin interfaces of single listeners (a MySQLProxy resource's spec.admin), by listener name. */
    private final Map<String, AdminServer> listenerAdmins = new LinkedHashMap<>();
    private final ProxyMetrics metrics;
    private AdminServer admin;
    private volatile boolean started;

    /** A proxy whose meters go nowhere (tests, embedding). */
    public ProxyServer(Vertx vertx, ProxyConfig config) {
        this(vertx, config, new SimpleMeterRegistry());
    }

    public ProxyServer(Vertx vertx, ProxyConfig config, MeterRegistry registry) {
        this.config = config;
        this.metrics = new ProxyMetrics(registry, config.monitoring().digests()
                ? new QueryDigests(config.monitoring().maxDigests()) : null);
        NettyTransport transport = NettyTransport.of(vertx);
        this.context = new ProxyContext(vertx, transport, config.limits(), config.healthCheck(), config.backendTls(),
                TlsContexts.forBackends(config.backendTls()), config.pool(), metrics, config.monitoring());
        LOG.debugf("native transport: %s", transport.nativeTransport());
    }

    /** Binds every configured listener and the admin interface; fails if any cannot bind or its script is refused. */
    public ProxyServer start() {
        try {
            for (ListenerConfig lc : config.listeners()) {
                // the command line's script goes to each of its listeners
                putListener(lc.script() == null ? lc.withScript(config.script()) : lc).join();
            }
            if (config.admin() != null) {
                admin = new AdminServer(config.admin(), this, null, metrics);
                admin.start(context.transport().acceptors(), context.transport().eventLoops(),
                        context.transport().serverChannels());
            }
        } catch (RuntimeException e) {
            shutdown(0);
            throw e instanceof CompletionException && e.getCause() instanceof RuntimeException r
                    ? r : e;
        }
        warnIfDescriptorsRunShort();
        started = true;
        return this;
    }

    /**
     * Every client needs two descriptors (its socket and its backend's): when the listeners admit more clients than
     * the process may open descriptors for, the last ones would fail with "Too many open files" instead of the
     * clear "Too many connections". Said once at start.
     */
    private void warnIfDescriptorsRunShort() {
        long limit = Limits.descriptorLimit();
        long clients = listeners().stream().mapToLong(l -> l.config().maxConnections()).sum();
        if (clients > Limits.maxConnectionsForDescriptors(limit)) {
            LOG.warnf("the listeners admit %d clients, which need %d file descriptors, but this process may open %d:"
                    + " lower --proxy-max-connections to %d or raise the limit (ulimit -n)", clients,
                    2 * clients + Limits.RESERVED_DESCRIPTORS, limit, Limits.maxConnectionsForDescriptors(limit));
        }
    }

    /**
     * Opens listener {@code lc.name()}, or applies {@code lc} to the running one of that name: in place when its
     * address and TLS stay (open sessions untouched), else by binding the new socket and draining the old one.
     * Completes exceptionally (and changes nothing) when the socket cannot be bound or the script is rejected.
     */
    public synchronized CompletableFuture<Listener> putListener(ListenerConfig lc) {
        Listener running = listeners.get(lc.name());
        if (running != null && running.config().sameSocket(lc)) {
            try {
                running.update(lc);
                listenerAdmin(lc);
                return CompletableFuture.completedFuture(running);
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        Listener fresh;
        try {
            fresh = new Listener(lc, context);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        // off the acceptor thread that bound the socket: this lock's holder may be waiting for that thread
        return fresh.start().whenCompleteAsync((l, failure) -> {
            synchronized (this) {
                if (failure != null) {
                    fresh.shutdown(System.nanoTime());
                    return;
                }
                Listener replaced = listeners.put(lc.name(), fresh);
                if (replaced != null) {
                    LOG.infof("listener %s moved from %s to %s; open sessions drain on the old socket", lc.name(),
                            replaced.config().address(), lc.address());
                    drain(replaced);
                }
            }
        }).thenApplyAsync(l -> { // off the event loop that bound the socket: starting an admin interface blocks
            try {
                listenerAdmin(lc);
            } catch (RuntimeException e) {
                LOG.errorf("listener %s: its admin interface did not start: %s", lc.name(), e.getMessage());
                throw e;
            }
            return l;
        });
    }

    /** Starts, restarts or stops the listener's own admin interface to match {@code lc.admin()}. */
    private synchronized void listenerAdmin(ListenerConfig lc) {
        AdminServer current = listenerAdmins.get(lc.name());
        if (current != null && current.config().equals(lc.admin())) {
            return;
        }
        if (current != null) {
            current.stop();
            listenerAdmins.remove(lc.name());
        }
        if (lc.admin() != null) {
            AdminServer a = new AdminServer(lc.admin(), this, lc.name(), metrics);
            a.start(context.transport().acceptors(), context.transport().eventLoops(),
                    context.transport().serverChannels());
            listenerAdmins.put(lc.name(), a);
        }
    }

    @Override
    public CompletableFuture<Void> put(ListenerConfig lc) {
        return putListener(lc).thenApply(l -> null);
    }

    @Override
    public boolean remove(String name) {
        return removeListener(name);
    }

    @Override
    public synchronized Optional<ListenerStatus> status(String name) {
        Listener l = listeners.get(name);
        if (l == null) {
            return Optional.empty();
        }
        List<BackendStatus> backends = new ArrayList<>();
        for (Backend b : l.backends()) {
            backends.add(new BackendStatus(b.address().toString(), b.role().label(),
                    b.state().name().toLowerCase(Locale.ROOT), b.state().acceptsConnections()));
        }
        ScriptRuntime scripts = l.scripts();
        CanaryScript c = l.canary();
        ListenerRegistry.CanaryStatus canary = c == null ? null : new ListenerRegistry.CanaryStatus(
                c.runtime().current().checksum(), c.state().label(), c.config().weightPercent(),
                c.runtime().stats().queries(), c.runtime().stats().failures(), c.verdict());
        return Optional.of(new ListenerStatus(l.config(),
                scripts == null ? null : scripts.current().checksum(), backends, l.primaryProblem(), canary));
    }

    /** Closes listener {@code name}: no new clients, running commands finish within the shutdown timeout. */
    public synchronized boolean removeListener(String name) {
        Listener l = listeners.remove(name);
        if (l == null) {
            return false;
        }
        AdminServer a = listenerAdmins.remove(name);
        if (a != null) {
            a.stop();
        }
        drain(l);
        return true;
    }

    private void drain(Listener l) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.limits().shutdownTimeoutMillis());
        CompletableFuture<Void> done = l.shutdown(deadline);
        draining.add(done);
        done.whenComplete((v, e) -> draining.remove(done));
    }

    /** True once every listener is bound (and the admin interface, if any); false again at shutdown. */
    public boolean started() {
        return started;
    }

    public ProxyConfig config() {
        return config;
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    /** The admin interface, or null when there is none. */
    public AdminServer admin() {
        return admin;
    }

    /** Completes when every event loop has run a task: they are not stuck. */
    public CompletableFuture<Void> eventLoopsResponsive() {
        List<CompletableFuture<Void>> pings = new ArrayList<>();
        for (EventExecutor loop : context.transport().eventLoops()) {
            CompletableFuture<Void> ping = new CompletableFuture<>();
            loop.execute(() -> ping.complete(null));
            pings.add(ping);
        }
        return CompletableFuture.allOf(pings.toArray(CompletableFuture[]::new));
    }

    /** Every Lua thread (of listeners' scripts and admin interfaces) stuck in one hook call, described. */
    public synchronized List<String> stuckLuaThreads() {
        List<String> out = new ArrayList<>();
        listeners.values().forEach(l -> out.addAll(l.stuckLuaThreads()));
        listenerAdmins.values().forEach(a -> out.addAll(a.stuckLuaThreads()));
        if (admin != null) {
            out.addAll(admin.stuckLuaThreads());
        }
        return out;
    }

    @Override
    public List<Script> reloadScript(String name) {
        Script s = listener(name).reloadScript();
        if (s == null) {
            throw new IllegalStateException("listener " + name + " has no Lua script");
        }
        return List.of(s);
    }

    @Override
    public List<Script> reloadScripts() {
        List<Script> out = new ArrayList<>();
        for (Listener l : listeners()) {
            Script s = l.reloadScript();
            if (s != null) {
                out.add(s);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("no Lua script is configured");
        }
        return out;
    }

    @Override
    public synchronized List<Listener> listeners() {
        return List.copyOf(listeners.values());
    }

    public synchronized Listener listener(String name) {
        Listener l = listeners.get(name);
        if (l == null) {
            throw new IllegalArgumentException("no listener " + name);
        }
        return l;
    }

    /**
     * Stops accepting, lets running commands finish for up to {@code timeoutMillis}, then closes what is left
     * with an error packet. Returns when every session is closed.
     */
    public void shutdown(long timeoutMillis) {
        started = false;
        if (admin != null) {
            admin.stop();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        List<CompletableFuture<Void>> drained = new ArrayList<>();
        synchronized (this) {
            listenerAdmins.values().forEach(AdminServer::stop);
            listenerAdmins.clear();
            for (Listener listener : listeners.values()) {
                drained.add(listener.shutdown(deadline));
            }
            listeners.clear();
            drained.addAll(draining);
        }
        CompletableFuture.allOf(drained.toArray(CompletableFuture[]::new)).join();
        LOG.info("all sessions closed");
    }
}
