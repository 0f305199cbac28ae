package io.mysqlproxy.testing;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Kills every server a test JVM started when the JVM exits, even after a failed or aborted test. */
final class ServerRegistry {
    private static final Set<MariaDbServer> SERVERS = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> SERVERS.forEach(MariaDbServer::close)));
    }

    private ServerRegistry() {
    }

    static void add(MariaDbServer server) {
        SERVERS.add(server);
    }

    static void remove(MariaDbServer server) {
        SERVERS.remove(server);
    }
}
