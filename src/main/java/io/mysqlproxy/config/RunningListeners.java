package io.mysqlproxy.config;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * The running proxy as configuration sources (the operator) reach it: a {@link ListenerRegistry} and nothing else of
 * the core, null until the proxy has started.
 */
@ApplicationScoped
public class RunningListeners {
    private volatile ListenerRegistry registry;

    public ListenerRegistry registry() {
        return registry;
    }

    public void set(ListenerRegistry value) {
        registry = value;
    }
}
