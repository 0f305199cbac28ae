package io.mysqlproxy.backend;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mysqlproxy.config.HealthCheck;
import io.mysqlproxy.config.Limits;
import io.mysqlproxy.testing.Cli;
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
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Two real servers with role auto: new connections go to the one whose read_only is OFF, follow a failover done by
 * hand, and stay put while both are writable.
 */
class RolesFromServersTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension(0);
    private static final HealthCheck LOGGED_IN = new HealthCheck(100, 1_000, 2, 1, "monitor", "mon", "SELECT 1");

    @Test
    void newConnectionsFollowTheOneWritableServerThroughAFailoverByHand() throws Exception {
        MariaDbServer first = monitored(DB.startAnother());
        MariaDbServer second = monitored(DB.startAnother());
        second.execute("SET GLOBAL read_only = 1");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TestProxy proxy = TestProxy.builder().autoBackend(first.address()).autoBackend(second.address())
                .health(LOGGED_IN).registry(registry).start()) {
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> serverPort(proxy) == first.port());
            assertThat(problem(proxy)).isNull();

            first.execute("SET GLOBAL read_only = 1"); // the failover: demote the primary, promote the replica
            second.execute("SET GLOBAL read_only = 0");
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> serverPort(proxy) == second.port());
            assertThat(registry.get("mysqlproxy.primary.changes").functionCounter().count()).isEqualTo(2);
            assertThat(registry.get("mysqlproxy.backend.primary").tag("backend", second.address()).gauge().value())
                    .isEqualTo(1);
            assertThat(registry.get("mysqlproxy.backend.primary").tag("backend", first.address()).gauge().value())
                    .isZero();

            first.execute("SET GLOBAL read_only = 0"); // the old primary is writable again: two writers
            await().atMost(Duration.ofSeconds(10)).until(() -> problem(proxy) != null);
            assertThat(problem(proxy)).contains(first.address()).contains(second.address())
                    .contains("writes go to " + second.address());
            assertThat(serverPort(proxy)).isEqualTo(second.port());
            assertThat(roles(proxy)).containsExactly(BackendRole.READ_ONLY, BackendRole.READ_WRITE);
        }
    }

    @Test
    void withNoWritableServerAClientIsRefusedWithTheReason() throws Exception {
        MariaDbServer first = monitored(DB.startAnother());
        first.execute("SET GLOBAL read_only = 1");
        try (TestProxy proxy = TestProxy.builder().autoBackend(first.address()).health(LOGGED_IN)
                .limits(l -> new Limits(300, l.handshakeTimeoutMillis(), l.idleTimeoutMillis(),
                        l.readTimeoutMillis(), l.writeTimeoutMillis(), l.maxPacketSize(), l.shutdownTimeoutMillis()))
                .start()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> problem(proxy) != null);
            assertThatThrownBy(() -> serverPort(proxy)).isInstanceOf(SQLException.class)
                    .hasMessageContaining("no backend available")
                    .hasMessageContaining("no backend with role auto is writable");
            Cli.Result cli = Cli.run("mariadb", proxy.port(), "root", "", null, "--skip-ssl", "-e", "select 1");
            assertThat(cli.exitCode()).isNotZero();
            assertThat(cli.output()).contains("ERROR 3169").contains("no backend with role auto is writable");

            first.execute("SET GLOBAL read_only = 0");
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> serverPort(proxy) == first.port());
        }
    }

    private static MariaDbServer monitored(MariaDbServer server) {
        server.execute("CREATE USER 'monitor'@'%' IDENTIFIED BY 'mon'");
        return server;
    }

    private static int serverPort(TestProxy proxy) throws SQLException {
        try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT @@port")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static String problem(TestProxy proxy) {
        return proxy.server().listeners().get(0).primaryProblem();
    }

    private static List<BackendRole> roles(TestProxy proxy) {
        return proxy.server().listeners().get(0).backends().stream().map(Backend::role).toList();
    }
}
