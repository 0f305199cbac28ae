package io.mysqlproxy.config;

import java.lang.management.ManagementFactory;

/**
 * Time and size limits of client sessions. Durations are in milliseconds; zero disables a timeout.
 *
 * @param connectTimeoutMillis   connecting to a backend, before the next backend is tried
 * @param handshakeTimeoutMillis from accepting a client until its authentication is done
 * @param idleTimeoutMillis      a client that sends nothing while no command is running
 * @param readTimeoutMillis      a backend that sends nothing while a command waits for its response
 * @param writeTimeoutMillis     a client that reads nothing while a response waits to be sent to it
 * @param maxPacketSize          the largest packet a client may send (all its frames together)
 * @param shutdownTimeoutMillis  how long running commands may finish at shutdown
 */
public record Limits(long connectTimeoutMillis, long handshakeTimeoutMillis, long idleTimeoutMillis,
                     long readTimeoutMillis, long writeTimeoutMillis, long maxPacketSize,
                     long shutdownTimeoutMillis) {
    /** Descriptors kept for what is not a client's: backends' health checks, pools, admin, HTTP, files. */
    public static final long RESERVED_DESCRIPTORS = 256;

    /** File descriptors this process may open (ulimit -n). */
    public static long descriptorLimit() {
        return ((com.sun.management.UnixOperatingSystemMXBean) ManagementFactory
                .getOperatingSystemMXBean()).getMaxFileDescriptorCount();
    }

    /** Clients that fit in {@code descriptors}: each needs two, its own socket and its backend's. */
    public static int maxConnectionsForDescriptors(long descriptors) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (descriptors - RESERVED_DESCRIPTORS) / 2));
    }
}
