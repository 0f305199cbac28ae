package io.mysqlproxy.scripting;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.config.HealthCheck;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.MariaDbServer;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * lua/rw-splitting.lua with a real primary and replica: reads go to the replica only while it is up and its
 * measured replication lag is within max_replica_lag; when its replication stops or it is restarted, reads go to
 * the primary until it is back and caught up.
 */
class RwSplittingLagTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension(0);

    private static String readAnswerer(Connection c) throws SQLException {
        // a plain read from a table (reading @@port itself would pin the statement to the primary)
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES WHERE VARIABLE_NAME = 'PORT'")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void readsFollowTheReplicasLag(@TempDir Path dir) throws Exception {
        MariaDbServer[] pair = DB.startPrimaryAndReplica();
        MariaDbServer primary = pair[0];
        MariaDbServer replica = pair[1];
        primary.execute("CREATE USER 'monitor'@'%' IDENTIFIED BY 'mon'", "GRANT SLAVE MONITOR ON *.* TO 'monitor'@'%'",
                "CREATE USER 'app'@'%' IDENTIFIED BY 'app'", "GRANT ALL ON *.* TO 'app'@'%'");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> replica.execute("SELECT 1 FROM mysql.user WHERE user = 'app'"));
        Path script = dir.resolve("rw.lua");
        Files.writeString(script, "proxy.global.config.rwsplit = { max_replica_lag = 5 }\n"
                + Files.readString(Path.of("lua/rw-splitting.lua")));
        try (TestProxy proxy = TestProxy.builder().backend(primary.address()).readOnlyBackend(replica.address())
                .health(new HealthCheck(200, 1_000, 2, 1, "monitor", "mon", "SELECT 1")).script(script).start()) {
            Backend replicaBackend = proxy.server().listeners().get(0).backends().get(1);
            await().atMost(Duration.ofSeconds(10)).until(() -> replicaBackend.replicationLag() == 0);
            String url = proxy.mariadbUrl("", "");
            try (Connection c = DriverManager.getConnection(url, "app", "app")) {
                assertThat(readAnswerer(c)).isEqualTo(String.valueOf(replica.port()));

                // replication stops: its lag is not known any more, so reads go to the primary
                replica.execute("STOP SLAVE");
                await().atMost(Duration.ofSeconds(10)).until(() -> replicaBackend.replicationLag() == Backend.LAG_UNKNOWN);
                assertThat(readAnswerer(c)).isEqualTo(String.valueOf(primary.port()));

                replica.execute("START SLAVE");
                await().atMost(Duration.ofSeconds(10)).until(() -> replicaBackend.replicationLag() == 0);
                assertThat(readAnswerer(c)).isEqualTo(String.valueOf(replica.port()));
            }

            // the replica restarted (its replication starts again by itself): once it is up and caught up, new
            // connections read from it again
            replica.restart();
            await().atMost(Duration.ofSeconds(15)).until(() -> replicaBackend.replicationLag() == 0
                    && replicaBackend.state().acceptsConnections());
            try (Connection c = DriverManager.getConnection(url, "app", "app")) {
                assertThat(readAnswerer(c)).isEqualTo(String.valueOf(replica.port()));
            }
            assertThat(proxy.server().metrics().registry().get("mysqlproxy.backend.replication.lag")
                    .tag("backend", replica.address()).gauge().value()).isEqualTo(0.0);
        }
    }
}
