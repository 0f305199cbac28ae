package io.mysqlproxy.health;

import io.mysqlproxy.core.ProxyServer;
import jakarta.enterprise.context.ApplicationScoped;

/** The proxy this process runs, once it has started, for the health checks to look at. */
@ApplicationScoped
public class RunningProxy {
    private volatile ProxyServer server;

    public ProxyServer get() {
        return server;
    }

    public void set(ProxyServer value) {
        server = value;
    }
}
