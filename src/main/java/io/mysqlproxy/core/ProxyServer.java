package io.mysqlproxy.core;

import io.mysqlproxy.backend.HealthChecker;
import io.mysqlproxy.config.ListenerConfig;
import io.mysqlproxy.config.ProxyConfig;
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

    public ProxyServer(Vertx vertx, ProxyConfig config) {
        this.config = config;
        NettyTransport transport = NettyTransport.of(vertx);
        this.context = new ProxyContext(transport, config.limits(), config.healthCheck(), config.backendTls(),
                TlsContexts.forBackends(config.backendTls()));
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
        return this;
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
        checkers.forEach(HealthChecker::stop);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        List<CompletableFuture<Void>> drained = new ArrayList<>();
        for (Listener listener : listeners) {
            drained.add(listener.shutdown(deadline));
        }
        CompletableFuture.allOf(drained.toArray(CompletableFuture[]::new)).join();
        LOG.info("all sessions closed");
    }
}
