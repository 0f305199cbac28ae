package io.mysqlproxy.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;

/**
 * JUnit 5 extension that gives a test class its own MariaDB servers and removes them after the class, pass or fail.
 * Register it as a static field with {@code @RegisterExtension}.
 */
public final class MariaDbExtension implements BeforeAllCallback, AfterAllCallback {
    private final int initial;
    private final String[] args;
    private final List<MariaDbServer> servers = new ArrayList<>();

    /** {@code count} servers started before the class with the extra mariadbd {@code args}. */
    public MariaDbExtension(int count, String... args) {
        this.initial = count;
        this.args = args;
    }

    public MariaDbExtension() {
        this(1);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        for (int i = 0; i < initial; i++) {
            servers.add(MariaDbServer.start(args));
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        servers.forEach(MariaDbServer::close);
        servers.clear();
    }

    public MariaDbServer server() {
        return servers.get(0);
    }

    public MariaDbServer server(int index) {
        return servers.get(index);
    }

    /** Starts one more server, cleaned up with the others. */
    public MariaDbServer startAnother(String... extraArgs) {
        MariaDbServer s = MariaDbServer.start(extraArgs);
        servers.add(s);
        return s;
    }

    /** Starts a primary (binary log, server id 1) and a replica of it (server id 2). */
    public MariaDbServer[] startPrimaryAndReplica() {
        MariaDbServer primary = startAnother("--log-bin=mysql-bin", "--server-id=1", "--binlog-format=ROW");
        MariaDbServer replica = startAnother("--log-bin=mysql-bin", "--server-id=2", "--read-only=1");
        primary.replicateTo(replica);
        return new MariaDbServer[] {primary, replica};
    }
}
