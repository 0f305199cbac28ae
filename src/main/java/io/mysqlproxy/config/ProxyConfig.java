package io.mysqlproxy.config;

import java.util.List;

/** The whole configuration of the proxy at one moment: an immutable snapshot. {@code script} may be null. */
public record ProxyConfig(List<ListenerConfig> listeners, Limits limits, HealthCheck healthCheck,
                          BackendTls backendTls, PoolConfig pool, ScriptConfig script) {
    public ProxyConfig {
        listeners = List.copyOf(listeners);
    }
}
