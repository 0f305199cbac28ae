package io.mysqlproxy.config;

import io.mysqlproxy.backend.BackendConfig;
import io.mysqlproxy.backend.BackendRole;
import io.mysqlproxy.backend.SelectionPolicy;

import java.util.List;

/**
 * One address the proxy listens on, and the backends its clients are relayed to. {@code script} and
 * {@code healthCheck} are the listener's own, or null for the proxy-wide ones (the command line's); {@code admin}
 * is an admin interface that sees only this listener, or null; {@code multiplexing} is the listener's own, or null for
 * the proxy-wide one; {@code logins} bounds its logins in progress (null: the default for the descriptor limit);
 * {@code routing} spreads statements over the backends (null: none). A listener may have no backend for a while
 * (discovery found none yet): its clients are refused with "no backend".
 */
public record ListenerConfig(String name, HostPort address, List<BackendConfig> backends, SelectionPolicy policy,
                             int maxConnections, ClientTls tls, ScriptConfig script, HealthCheck healthCheck,
                             AdminConfig admin, MultiplexingConfig multiplexing, LoginAdmission logins,
                             RoutingConfig routing) {
    public ListenerConfig {
        backends = List.copyOf(backends);
        if (routing == null) {
            routing = RoutingConfig.NONE;
        }
        if (logins == null) {
            logins = LoginAdmission.auto();
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("listener " + name + ": max connections must be at least 1");
        }
    }

    public ListenerConfig(String name, HostPort address, List<BackendConfig> backends, SelectionPolicy policy,
                          int maxConnections, ClientTls tls) {
        this(name, address, backends, policy, maxConnections, tls, null, null, null, null, null, null);
    }

    public ListenerConfig(String name, HostPort address, List<BackendConfig> backends, SelectionPolicy policy,
                          int maxConnections, ClientTls tls, ScriptConfig script, HealthCheck healthCheck,
                          AdminConfig admin) {
        this(name, address, backends, policy, maxConnections, tls, script, healthCheck, admin, null, null, null);
    }

    /** Whether some backend's role follows its server's read_only. */
    public boolean hasAutoBackends() {
        return backends.stream().anyMatch(b -> b.role() == BackendRole.AUTO);
    }

    /** The same listener with its own multiplexing settings. */
    public ListenerConfig withMultiplexing(MultiplexingConfig other) {
        return new ListenerConfig(name, address, backends, policy, maxConnections, tls, script, healthCheck, admin,
                other, logins, routing);
    }

    /** The same listener with its own bound on logins in progress. */
    public ListenerConfig withLogins(LoginAdmission other) {
        return new ListenerConfig(name, address, backends, policy, maxConnections, tls, script, healthCheck, admin,
                multiplexing, other, routing);
    }

    /** The same listener with another routing. */
    public ListenerConfig withRouting(RoutingConfig other) {
        return new ListenerConfig(name, address, backends, policy, maxConnections, tls, script, healthCheck, admin,
                multiplexing, logins, other);
    }

    /** The same listener with another script (for example the running one, kept when a new one cannot be used). */
    public ListenerConfig withScript(ScriptConfig other) {
        return new ListenerConfig(name, address, backends, policy, maxConnections, tls, other, healthCheck, admin,
                multiplexing, logins, routing);
    }

    /** True when {@code other} can replace this configuration without binding another socket. */
    public boolean sameSocket(ListenerConfig other) {
        return address.equals(other.address);
    }
}
