package io.mysqlproxy.config;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * How configuration sources other than the command line (the operator) apply listeners to the running proxy,
 * and read back what runs. The proxy implements it; sources see nothing else of it.
 */
public interface ListenerRegistry {
    /**
     * Opens listener {@code config.name()} or applies {@code config} to the running one. Completes exceptionally,
     * changing nothing, when the socket cannot be bound or the script is rejected (ScriptException).
     */
    CompletableFuture<Void> put(ListenerConfig config);

    /** Closes the listener gracefully; false when there is none by that name. */
    boolean remove(String name);

    /** What runs for listener {@code name}, if it runs. */
    Optional<ListenerStatus> status(String name);

    /**
     * A running listener as its source may report it; {@code primaryProblem} says what is wrong with the writes
     * among backends whose role follows their read_only (several writable servers, none), or is null.
     */
    record ListenerStatus(ListenerConfig config, String scriptChecksum, List<BackendStatus> backends,
                          String primaryProblem, CanaryStatus canary) {
        public long backendsTakingConnections() {
            return backends.stream().filter(BackendStatus::takesConnections).count();
        }
    }

    /**
     * The canary tried beside a listener's script (null: none): {@code state} running, rolled back or promoted;
     * its queries and failures (hook errors and errors it answered); {@code verdict} why it ended, with the figures.
     */
    record CanaryStatus(String checksum, String state, int weightPercent, long queries, long failures,
                        String verdict) {
    }

    /** A backend of a running listener; {@code state} is unknown, up, down or offline. */
    record BackendStatus(String address, String role, String state, boolean takesConnections) {
    }
}
