package io.mysqlproxy.config;

import java.util.Set;

/**
 * Multiplexing: between transactions, a client's backend connection goes back to the pool and its next statement
 * may run on another logged-in connection of the same user.
 *
 * @param enabled           whether listeners multiplex
 * @param excludedUsers     users whose clients keep one backend connection each
 * @param maxConnections    backend connections opened per backend (and listener) at most
 * @param waitTimeoutMillis how long a statement waits for a free connection of its user before error 1040
 */
public record MultiplexingConfig(boolean enabled, Set<String> excludedUsers, int maxConnections, long waitTimeoutMillis) {
    /** Off; with the defaults of --multiplexing-max-connections and --multiplexing-wait-timeout once turned on. */
    public static final MultiplexingConfig DISABLED = new MultiplexingConfig(false, Set.of(), 200, 10_000);

    public MultiplexingConfig {
        excludedUsers = Set.copyOf(excludedUsers);
    }

    public MultiplexingConfig withEnabled(boolean value) {
        return new MultiplexingConfig(value, excludedUsers, maxConnections, waitTimeoutMillis);
    }

    /** Whether clients of {@code user} are multiplexed. */
    public boolean appliesTo(String user) {
        return enabled && user != null && !excludedUsers.contains(user);
    }
}
