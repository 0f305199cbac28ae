package io.mysqlproxy.config;

import io.mysqlproxy.backend.BackendConfig;
import io.mysqlproxy.backend.SelectionPolicy;

import java.util.List;

/**
 * One address the proxy listens on, and the backends its clients are relayed to. {@code script} and
 * {@code healthCheck} are the listener's own, or null for the proxy-wide ones (the command line's). A listener may
 * have no backend for a while (discovery found none yet): its clients are refused with "no backend".
 */
public record ListenerConfig(String name, HostPort address, List<BackendConfig> backends, SelectionPolicy policy,
                             int maxConnections, ClientTls tls, ScriptConfig script, HealthCheck healthCheck) {
    public ListenerConfig {
        backends = List.copyOf(backends);
        if (maxConnections < 1) {
            throw new IllegalArgumentException("listener " + name + ": max connections must be at least 1");
        }
    }

    public ListenerConfig(String name, HostPort address, List<BackendConfig> backends, SelectionPolicy policy,
                          int maxConnections, ClientTls tls) {
        this(name, address, backends, policy, maxConnections, tls, null, null);
    }

    /** True when {@code other} can replace this configuration without binding another socket. */
    public boolean sameSocket(ListenerConfig other) {
        return address.equals(other.address) && tls.equals(other.tls);
    }
}
