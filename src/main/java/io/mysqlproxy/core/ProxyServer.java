package io.mysqlproxy.core;

import io.mysqlproxy.backend.HealthChecker;
import io.mysqlproxy.config.ListenerConfig;
import io.mysqlproxy.config.ProxyConfig;
import io.mysqlproxy.metrics.ProxyMetrics;
import io.mysqlproxy.metrics.QueryDigests;
import io.mysqlproxy.scripting.Script;
import io.mysqlproxy.scripting.ScriptCompiler;
import io.mysqlproxy.scripting.ScriptRuntime;
import io.vertx.core.Vertx;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The running proxy: its listeners and the health checkers of their backends. */
public final class ProxyServer {
    private static final Logger LOG = Logger.getLogger(ProxyServer.class);

    private final ProxyConfig config;
    private final ProxyContext context;
    private final List<Listener> listeners = new ArrayList<>();
    private final List<HealthChecker> checkers = new ArrayList<>();
    private final ScriptRuntime scripts;
    private final ScriptWatcher watcher;
    private final ProxyMetrics metrics;
    private io.mysqlproxy.admin.AdminServer admin;
    private volatile boolean started;

    /** A proxy whose meters go nowhere (tests, embedding). */
    public ProxyServer(Vertx vertx, ProxyConfig config) {
        this(vertx, config, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    public ProxyServer(Vertx vertx, ProxyConfig config, io.micrometer.core.instrument.MeterRegistry registry) {
        this.config = config;
        this.metrics = new ProxyMetrics(registry, config.monitoring().digests()
                ? new QueryDigests(config.monitoring().maxDigests()) : null);
        NettyTransport transport = NettyTransport.of(vertx);
        if (config.script() != null) {
            Script initial = new ScriptCompiler().compileFile(config.script().path());
            int loops = 0;
            for (io.netty.util.concurrent.EventExecutor ignored : transport.eventLoops()) {
                loops++;
            }
            this.scripts = new ScriptRuntime(config.script().options(), loops, initial, metrics, null);
            this.scripts.check(initial);
            this.watcher = new ScriptWatcher(vertx, scripts, config.script().path());
        } else {
            this.scripts = null;
            this.watcher = null;
        }
        this.context = new ProxyContext(transport, config.limits(), config.healthCheck(), config.backendTls(),
                TlsContexts.forBackends(config.backendTls()), config.pool(), scripts, metrics, config.monitoring());
        LOG.debugf("native transport: %s", transport.nativeTransport());
    }

    /** Binds every listener and starts health checks; fails if any listener cannot bind. */
    public ProxyServer start() {
        List<CompletableFuture<Listener>> binds = new ArrayList<>();
        for (ListenerConfig lc : config.listeners()) {
            Listener listener = new Listener(lc, context);
            listeners.add(listener);
            binds.add(listener.start());
        }
        try {
            CompletableFuture.allOf(binds.toArray(CompletableFuture[]::new)).join();
        } catch (RuntimeException e) {
            shutdown(0);
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        for (Listener listener : listeners) {
            HealthChecker checker = new HealthChecker(config.healthCheck(), context.transport().eventLoops(),
                    context.transport().channels(), listener.backends());
            checkers.add(checker);
            checker.start();
        }
        if (config.admin() != null) {
            try {
                admin = new io.mysqlproxy.admin.AdminServer(config.admin(), new io.mysqlproxy.admin.AdminState(this,
                        metrics.digests(), config.admin().settings()), metrics);
                admin.start(context.transport().acceptors(), context.transport().eventLoops(),
                        context.transport().serverChannels());
            } catch (RuntimeException e) {
                shutdown(0);
                throw e;
            }
        }
        started = true;
        return this;
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
    public io.mysqlproxy.admin.AdminServer admin() {
        return admin;
    }

    /** Completes when every event loop has run a task: they are not stuck. */
    public CompletableFuture<Void> eventLoopsResponsive() {
        List<CompletableFuture<Void>> pings = new ArrayList<>();
        for (io.netty.util.concurrent.EventExecutor loop : context.transport().eventLoops()) {
            CompletableFuture<Void> ping = new CompletableFuture<>();
            loop.execute(() -> ping.complete(null));
            pings.add(ping);
        }
        return CompletableFuture.allOf(pings.toArray(CompletableFuture[]::new));
    }

    /** The scripting pool, or null when no script is configured. */
    public ScriptRuntime scripts() {
        return scripts;
    }

    /** Re-reads the script now (the watcher does so on change); throws when the new one is rejected. */
    public Script reloadScript() {
        if (watcher == null) {
            throw new IllegalStateException("no Lua script is configured");
        }
        return watcher.reload();
    }

    public List<Listener> listeners() {
        return List.copyOf(listeners);
    }

    public Listener listener(String name) {
        return listeners.stream().filter(l -> l.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no listener " + name));
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
        checkers.forEach(HealthChecker::stop);
        if (watcher != null) {
            watcher.stop();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        List<CompletableFuture<Void>> drained = new ArrayList<>();
        for (Listener listener : listeners) {
            drained.add(listener.shutdown(deadline));
        }
        CompletableFuture.allOf(drained.toArray(CompletableFuture[]::new)).join();
        if (scripts != null) {
            scripts.close();
        }
        LOG.info("all sessions closed");
    }
}
