package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.backend.BackendRole;
import io.mysqlproxy.config.HealthCheck;
import io.mysqlproxy.config.RoutingConfig;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.MariaDbServer;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Built-in read/write splitting over a real primary and replica whose roles the proxy reads from their servers'
 * read_only: reads leave a replica whose replication stopped (its lag is no longer known) and come back once it
 * caught up, and after an external failover (the replica promoted, the primary demoted, by read_only alone) a client
 * already connected writes to the new primary and reads from the old one.
 */
class ReadWriteSplitFailoverTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension(0);

    private static String answeredBy(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT @@port")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static long rows(MariaDbServer server, int id) throws SQLException {
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(), "root", "");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM shop.orders WHERE id = " + id)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void readsFollowTheLagAndWritesFollowTheFailover() throws Exception {
        MariaDbServer[] pair = DB.startPrimaryAndReplica();
        MariaDbServer primary = pair[0];
        MariaDbServer replica = pair[1];
        primary.execute("CREATE USER 'monitor'@'%' IDENTIFIED BY 'mon'", "GRANT SLAVE MONITOR ON *.* TO 'monitor'@'%'",
                "CREATE USER 'app'@'%' IDENTIFIED BY 'app'", "GRANT ALL ON *.* TO 'app'@'%'",
                "CREATE DATABASE shop", "CREATE TABLE shop.orders (id INT)");
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .untilAsserted(() -> replica.execute("SELECT 1 FROM shop.orders"));
        try (TestProxy proxy = TestProxy.builder().autoBackend(primary.address()).autoBackend(replica.address())
                .health(new HealthCheck(100, 1_000, 2, 1, "monitor", "mon", "SELECT 1"))
                .routing(new RoutingConfig(RoutingConfig.Mode.READ_WRITE_SPLIT, 5)).start()) {
            Backend replicaBackend = proxy.server().listeners().get(0).backends().get(1);
            Backend primaryBackend = proxy.server().listeners().get(0).backends().get(0);
            await().atMost(Duration.ofSeconds(10)).until(() -> replicaBackend.replicationLag() == 0
                    && primaryBackend.role() == BackendRole.READ_WRITE);
            try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("shop", ""), "app", "app");
                 Statement s = c.createStatement()) {
                assertThat(answeredBy(s)).isEqualTo(String.valueOf(replica.port()));
                s.executeUpdate("INSERT INTO orders VALUES (1)");

                // replication stopped: its lag is unknown, beyond the limit, and reads go to the primary
                replica.execute("STOP SLAVE");
                await().atMost(Duration.ofSeconds(10)).until(() -> replicaBackend.replicationLag() == Backend.LAG_UNKNOWN);
                assertThat(answeredBy(s)).isEqualTo(String.valueOf(primary.port()));
                replica.execute("START SLAVE");
                await().atMost(Duration.ofSeconds(10)).until(() -> replicaBackend.replicationLag() == 0);
                assertThat(answeredBy(s)).isEqualTo(String.valueOf(replica.port()));

                // an external failover by read_only alone: the replica is promoted, the primary demoted
                await().atMost(Duration.ofSeconds(10)).until(() -> rows(replica, 1) == 1);
                replica.execute("STOP SLAVE", "RESET SLAVE ALL");
                primary.execute("SET GLOBAL read_only = 1");
                replica.execute("SET GLOBAL read_only = 0");
                await().atMost(Duration.ofSeconds(10)).until(() -> replicaBackend.role() == BackendRole.READ_WRITE
                        && primaryBackend.role() == BackendRole.READ_ONLY);

                // the same client: its write lands on the new primary (app may write through read_only, being
                // privileged, so a write sent to the old primary would land there and show)
                s.executeUpdate("INSERT INTO orders VALUES (2)");
                assertThat(rows(replica, 2)).isEqualTo(1);
                assertThat(rows(primary, 2)).isZero();
                // and reads go to the old primary, now the only read-only backend (its lag is not measured: it
                // does not replicate, so with a lag limit it gets no reads and the new primary answers)
                assertThat(answeredBy(s)).isEqualTo(String.valueOf(replica.port()));
            }
        }
    }
}
