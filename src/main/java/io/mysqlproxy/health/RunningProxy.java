package io.mysqlproxy.health;

import io.mysqlproxy.config.RunningListeners;
import io.mysqlproxy.core.ProxyServer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** The proxy this process runs, once it has started, for the health checks; the operator sees it as a registry. */
@ApplicationScoped
public class RunningProxy {
    private volatile ProxyServer server;

    @Inject
    RunningListeners listeners;

    public ProxyServer get() {
        return server;
    }

    public void set(ProxyServer value) {
        server = value;
        listeners.set(value);
    }
}
