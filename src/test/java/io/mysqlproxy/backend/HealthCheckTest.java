package io.mysqlproxy.backend;

import io.mysqlproxy.config.HealthCheck;
import io.mysqlproxy.config.Limits;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.MariaDbServer;
import io.mysqlproxy.testing.TestProxy;
import io.netty.channel.epoll.EpollSocketChannel;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
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
import static org.awaitility.Awaitility.await;

/** Health checks against a real server: greeting only, logged in with a query, wrong credentials, pause and resume. */
class HealthCheckTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();

    @BeforeAll
    static void monitorUser() {
        DB.server().execute("CREATE USER 'monitor'@'%' IDENTIFIED BY 'mon'");
    }

    private static String probe(HealthCheck check, String address) throws Exception {
        return probe(check, new Backend(BackendConfig.parse(address, BackendRole.READ_WRITE)));
    }

    private static String probe(HealthCheck check, Backend backend) throws Exception {
        HealthChecker checker = new HealthChecker(check, TestProxy.vertx().nettyEventLoopGroup(),
                EpollSocketChannel::new, () -> List.of(backend), new PrimaryElection("test"));
        return checker.probe(backend).get();
    }

    @Test
    void aLoggedInCheckOfABackendWithRoleAutoReadsItsServersReadOnly() throws Exception {
        MariaDbServer server = DB.startAnother();
        server.execute("CREATE USER 'monitor'@'%' IDENTIFIED BY 'mon'");
        Backend backend = new Backend(BackendConfig.parse(server.address(), BackendRole.AUTO));
        // a check query with a result set before it, so that its end is read before read_only is asked
        HealthCheck check = new HealthCheck(1000, 1000, 1, 1, "monitor", "mon", "SELECT 1, 2");
        assertThat(probe(check, backend)).isNull();
        assertThat(backend.readOnly()).isEqualTo(ServerReadOnly.OFF);
        assertThat(backend.role()).as("elected: the one writable server").isEqualTo(BackendRole.READ_WRITE);
        assertThat(backend.replicationLag()).as("not a replica").isEqualTo(Backend.LAG_UNKNOWN);

        server.execute("SET GLOBAL read_only = 1");
        assertThat(probe(check, backend)).isNull();
        assertThat(backend.readOnly()).isEqualTo(ServerReadOnly.ON);
        assertThat(backend.role()).isEqualTo(BackendRole.READ_ONLY);

        Backend unchecked = new Backend(BackendConfig.parse(server.address(), BackendRole.AUTO));
        assertThat(probe(new HealthCheck(1000, 1000, 1, 1, null, null, "SELECT 1"), unchecked)).isNull();
        assertThat(unchecked.readOnly()).as("a greeting says nothing of it").isEqualTo(ServerReadOnly.UNKNOWN);
    }

    @Test
    void greetingOnlyCheckPasses() throws Exception {
        assertThat(probe(new HealthCheck(1000, 1000, 1, 1, null, null, "SELECT 1"), DB.server().address())).isNull();
    }

    @Test
    void loggedInCheckRunsTheQuery() throws Exception {
        String address = DB.server().address();
        assertThat(probe(new HealthCheck(1000, 1000, 1, 1, "monitor", "mon", "SELECT 1"), address)).isNull();
        assertThat(probe(new HealthCheck(1000, 1000, 1, 1, "monitor", "bad", "SELECT 1"), address))
                .contains("1045").contains("Access denied");
        assertThat(probe(new HealthCheck(1000, 1000, 1, 1, "monitor", "mon", "SELECT * FROM mysql.user"), address))
                .contains("1142");
    }

    @Test
    void closedPortFails() throws Exception {
        assertThat(probe(new HealthCheck(1000, 1000, 1, 1, null, null, "SELECT 1"),
                "127.0.0.1:" + MariaDbServer.freePort())).contains("cannot connect");
    }

    @Test
    void pausedServerTimesOutClientsAndChecksThenComesBack() throws Exception {
        MariaDbServer paused = DB.startAnother();
        try (TestProxy proxy = TestProxy.builder().backend(paused.address())
                .limits(l -> new Limits(2_000, 10_000, 28_800_000, 800, 28_800_000, 1 << 24, 1_000))
                .start();
             Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
             Statement s = c.createStatement()) {
            Backend b = proxy.server().listeners().get(0).backends().get(0);
            await().atMost(Duration.ofSeconds(5)).until(() -> b.state() == BackendState.UP);
            paused.pause();
            try {
                // SIGSTOP: the server neither answers nor closes; the client hears of it after the read timeout
                Assertions.assertThatThrownBy(() -> s.executeQuery("SELECT 1"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("read timeout of 800 ms")
                        .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(3024));
                await().atMost(Duration.ofSeconds(5)).until(() -> b.state() == BackendState.DOWN);
            } finally {
                paused.resume();
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> b.state() == BackendState.UP);
            try (Connection again = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
                 Statement s2 = again.createStatement(); ResultSet rs = s2.executeQuery("SELECT 2")) {
                assertThat(rs.next()).isTrue();
            }
        }
    }
}
