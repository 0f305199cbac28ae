package io.mysqlproxy.core;

import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.MariaDbServer;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The proxy's own errors, and a server's loss, as the clients show them: libmariadb (the mariadb CLI) refuses error
 * codes of the clients' own ranges from the wire, so what it prints is the test.
 */
class ErrorDisplayTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();

    @Test
    void noErrorCodeTheProxySendsIsInAClientLibrarysRange() throws IllegalAccessException {
        for (Field f : ErrorCodes.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                int code = f.getInt(null);
                assertThat(code >= 2000 && code <= 2999 || code >= 5000 && code <= 5999).as(f.getName() + " = " + code)
                        .isFalse();
            }
        }
    }

    @Test
    void noBackendAvailableShowsTheProxysMessageInTheCli() {
        int deadPort = MariaDbServer.freePort();
        try (TestProxy proxy = TestProxy.builder().backend("127.0.0.1:" + deadPort).start()) {
            Cli.Result plain = Cli.run("mariadb", proxy.port(), "root", "", null, "--skip-ssl", "-e", "select 1");
            assertThat(plain.exitCode()).isEqualTo(1);
            assertThat(plain.output()).as(plain.output()).contains("ERROR 3169 (08S01)")
                    .contains("mysqlproxy: no backend available for listener default")
                    .contains(Integer.toString(deadPort)).doesNotContain("malformed");
            // a client that wants TLS (the CLI's default) shows the error as one that came before TLS
            Cli.Result tls = Cli.run("mariadb", proxy.port(), "root", "", null, "-e", "select 1");
            assertThat(tls.exitCode()).isEqualTo(1);
            assertThat(tls.output()).as(tls.output()).contains("3169 - mysqlproxy: no backend available")
                    .doesNotContain("malformed");
        }
    }

    @Test
    void noBackendAvailableIsAConnectionErrorForBothConnectorJs() {
        int deadPort = MariaDbServer.freePort();
        try (TestProxy proxy = TestProxy.builder().backend("127.0.0.1:" + deadPort).start()) {
            assertThatThrownBy(() -> DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "").close())
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getErrorCode()).isEqualTo(3169);
                        assertThat(e.getSQLState()).isEqualTo("08S01");
                    })
                    .hasMessageContaining("no backend available");
            // MySQL Connector/J reads no SQL state from an error that comes before the greeting (HY000)
            assertThatThrownBy(() -> DriverManager.getConnection(proxy.mysqlUrl("", ""), "root", "").close())
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode()).isEqualTo(3169))
                    .hasMessageContaining("no backend available");
        }
    }

    @Test
    void aQueryKilledOnTheServerShowsLostConnectionInTheCli() throws Exception {
        MariaDbServer server = DB.server();
        try (TestProxy proxy = TestProxy.to(server)) {
            CompletableFuture<Cli.Result> sleeper = CompletableFuture.supplyAsync(() ->
                    Cli.run("mariadb", proxy.port(), "root", "", null, "-e", "select sleep(30) as killed_here"));
            long thread = awaitThreadRunning(server, "killed_here");
            server.execute("KILL " + thread);
            Cli.Result r = sleeper.get(10, TimeUnit.SECONDS);
            assertThat(r.exitCode()).isEqualTo(1);
            assertThat(r.output()).as(r.output()).contains("ERROR 2013 (HY000)")
                    .contains("Lost connection to server during query").doesNotContain("malformed");
        }
    }

    @Test
    void aQueryKilledOnTheServerIsAConnectionErrorForJdbc() throws Exception {
        MariaDbServer server = DB.server();
        try (TestProxy proxy = TestProxy.to(server);
             Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "")) {
            CompletableFuture<SQLException> sleeper = CompletableFuture.supplyAsync(() -> {
                try (Statement s = c.createStatement()) {
                    s.executeQuery("select sleep(30) as killed_by_jdbc_test");
                    return null;
                } catch (SQLException e) {
                    return e;
                }
            });
            server.execute("KILL " + awaitThreadRunning(server, "killed_by_jdbc_test"));
            SQLException e = sleeper.get(10, TimeUnit.SECONDS);
            assertThat((Object) e).as("the killed query's error").isNotNull();
            assertThat(e.getSQLState()).as(e.getMessage()).startsWith("08");
            assertThat(c.isValid(2)).isFalse();
        }
    }

    /** The server's thread id of the statement containing {@code marker}, once it runs. */
    static long awaitThreadRunning(MariaDbServer server, String marker) throws SQLException {
        long[] id = {-1};
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (Connection c = DriverManager.getConnection(server.jdbcUrl(), "root", "");
                 Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT id FROM information_schema.processlist WHERE info "
                         + "LIKE '%" + marker + "%' AND info NOT LIKE '%processlist%'")) {
                if (rs.next()) {
                    id[0] = rs.getLong(1);
                    return true;
                }
                return false;
            }
        });
        return id[0];
    }
}
