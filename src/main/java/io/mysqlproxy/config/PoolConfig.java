package io.mysqlproxy.config;

/**
 * The idle-connection pool: logged-in backend connections that clients left behind, kept for the next clients.
 * A new client takes one over with COM_CHANGE_USER, so the server checks its credentials and resets the session.
 * Scripts may change the counts per backend ({@code proxy.global.backends[i].pool}).
 *
 * @param maxIdle           idle connections kept per backend and user (0: no pooling)
 * @param minIdle           idle connections of a user that clients of another user may not take
 * @param idleTimeoutMillis how long an idle connection is kept before it is closed
 * @param maxAgeMillis      how long after it was opened a connection is no longer pooled (0: no limit)
 * @param pingAfterMillis   a connection idle longer than this is pinged before a multiplexed statement uses it
 * @param multiplexing      whether clients also share connections between their transactions
 */
public record PoolConfig(int maxIdle, int minIdle, long idleTimeoutMillis, long maxAgeMillis, long pingAfterMillis,
                         MultiplexingConfig multiplexing) {
    public static final PoolConfig NONE = new PoolConfig(0, 0, 60_000);

    public PoolConfig(int maxIdle, int minIdle, long idleTimeoutMillis) {
        this(maxIdle, minIdle, idleTimeoutMillis, 0, 10_000, MultiplexingConfig.DISABLED);
    }

    public PoolConfig(int maxIdle, int minIdle, long idleTimeoutMillis, MultiplexingConfig multiplexing) {
        this(maxIdle, minIdle, idleTimeoutMillis, 0, 10_000, multiplexing);
    }
}
