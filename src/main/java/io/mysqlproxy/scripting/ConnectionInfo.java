package io.mysqlproxy.scripting;

import io.mysqlproxy.protocol.Capabilities;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * What a script may know of its connection, copied from the session for each hook call, since hooks run on a
 * scripting thread while the session lives on its event loop. {@code pinned} is why the client keeps its backend
 * connection (a multiplexing pin reason, or {@link #NOT_MULTIPLEXED}), or null while it shares connections.
 */
public record ConnectionInfo(long sessionId, InetSocketAddress clientSrc, InetSocketAddress clientDst,
                             InetSocketAddress serverSrc, InetSocketAddress serverDst, String username,
                             String defaultDb, String authPlugin, byte[] scrambledPassword, long threadId,
                             String serverVersion, byte[] scramble, int backendNdx, int extraBackendNdx,
                             long capabilities, int serverStatus, List<BackendInfo> backends, String pinned) {

    /** {@link #pinned} of a connection that has its backend connection to itself: its listener does not multiplex. */
    public static final String NOT_MULTIPLEXED = "not_multiplexed";

    /** A backend as {@code proxy.global.backends[i]} shows it; its state is read and written live. */
    public record BackendInfo(String host, int port, IntSupplier state, IntSupplier type,
                              IntSupplier connectedClients, int weight, PoolView pool,
                              IntConsumer setState,
                              LongSupplier replicationLag) {
    }

    public boolean deprecateEof() {
        return Capabilities.has(capabilities,
                Capabilities.CLIENT_DEPRECATE_EOF);
    }

    public boolean extendedMetadata() {
        return Capabilities.has(capabilities,
                Capabilities.MARIADB_CLIENT_EXTENDED_METADATA);
    }

    /** MySQL Proxy's integer server version: 10.11.19 is 101119, 5.7.44 is 50744. */
    public int mysqldVersion() {
        return mysqldVersion(serverVersion);
    }

    public static int mysqldVersion(String serverVersion) {
        String v = serverVersion == null ? "" : serverVersion;
        if (v.startsWith("5.5.5-")) {
            v = v.substring(6); // MariaDB's replication-compatibility prefix
        }
        String[] parts = v.split("[^0-9]+", 4);
        try {
            return Integer.parseInt(parts[0]) * 10000 + Integer.parseInt(parts[1]) * 100 + Integer.parseInt(parts[2]);
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
