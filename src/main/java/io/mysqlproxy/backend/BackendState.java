package io.mysqlproxy.backend;

/** Health of a backend as the proxy believes it; the names are MySQL Proxy's backend states. */
public enum BackendState {
    /** Not probed yet: new connections may use it. */
    UNKNOWN,
    UP,
    DOWN,
    /** Taken out of service by an operator: no new connections, open ones drain. */
    OFFLINE;

    public boolean acceptsConnections() {
        return this == UNKNOWN || this == UP;
    }
}
