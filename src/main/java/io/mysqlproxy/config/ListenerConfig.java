package io.mysqlproxy.config;

import io.mysqlproxy.backend.BackendConfig;
import io.mysqlproxy.backend.SelectionPolicy;

import java.util.List;

/** One address the proxy listens on, and the backends its clients are relayed to. */
public record ListenerConfig(String name, HostPort address, List<BackendConfig> backends, SelectionPolicy policy,
                             int maxConnections, ClientTls tls) {
    public ListenerConfig {
        backends = List.copyOf(backends);
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("listener " + name + " has no backend");
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("listener " + name + ": max connections must be at least 1");
        }
    }
}
