package io.mysqlproxy.health;

import io.mysqlproxy.config.ListenerRegistry;
import io.mysqlproxy.core.ProxyServer;
import jakarta.enterprise.context.ApplicationScoped;

/** The proxy this process runs, once it has started, for the health checks and the operator to reach. */
@ApplicationScoped
public class RunningProxy {
    private volatile ProxyServer server;

    public ProxyServer get() {
        return server;
    }

    /** The running proxy as configuration sources see it, or null before it started. */
    public ListenerRegistry registry() {
        return server;
    }

    public void set(ProxyServer value) {
        server = value;
    }
}
