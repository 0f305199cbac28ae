package io.mysqlproxy.scripting;

/** A backend's idle-connection pool as {@code proxy.global.backends[i].pool} shows it; counts may be changed. */
public interface PoolView {
    int minIdle();

    void minIdle(int value);

    int maxIdle();

    void maxIdle(int value);

    /** Idle connections logged in as {@code user}; the empty name counts those of every user. */
    int idle(String user);
}
