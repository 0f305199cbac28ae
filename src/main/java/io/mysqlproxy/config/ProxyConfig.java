package io.mysqlproxy.config;

import java.util.List;

/**
 * The whole configuration of the proxy at one moment: an immutable snapshot. {@code script} and {@code admin} may be
 * null (no Lua script, no admin interface).
 */
public record ProxyConfig(List<ListenerConfig> listeners, Limits limits, HealthCheck healthCheck,
                          BackendTls backendTls, PoolConfig pool, ScriptConfig script, AdminConfig admin,
                          MonitoringConfig monitoring) {
    public ProxyConfig {
        listeners = List.copyOf(listeners);
    }

    public ProxyConfig(List<ListenerConfig> listeners, Limits limits, HealthCheck healthCheck, BackendTls backendTls,
                       PoolConfig pool, ScriptConfig script) {
        this(listeners, limits, healthCheck, backendTls, pool, script, null, MonitoringConfig.DEFAULTS);
    }
}
