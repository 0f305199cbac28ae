package io.mysqlproxy.core;

import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.BeforeAll;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The idle-connection pool: connections clients leave are taken over by the next clients with COM_CHANGE_USER. */
class IdlePoolTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension(1);

    @BeforeAll
    static void users() {
        DB.server().execute("CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw'", "GRANT ALL ON *.* TO 'app'@'%'",
                "CREATE USER 'other'@'%' IDENTIFIED BY 'other-pw'", "GRANT SELECT ON *.* TO 'other'@'%'");
    }

    private static TestProxy proxy(PoolConfig pool) {
        return TestProxy.builder().backend(DB.server().address()).pool(pool).start();
    }

    private static String one(TestProxy proxy, String user, String password, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), user, password);
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static int threadsConnected() throws SQLException {
        try (Connection c = DriverManager.getConnection(DB.server().jdbcUrl(), "root", "");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER IN ('app', 'other')")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void theNextClientTakesOverTheConnectionWithAFreshSession() throws SQLException {
        try (TestProxy proxy = proxy(new PoolConfig(4, 0, 60_000))) {
            String first;
            try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "app", "app-pw");
                 Statement s = c.createStatement()) {
                s.execute("SET @left_behind = 'secret'");
                try (ResultSet rs = s.executeQuery("SELECT CONNECTION_ID()")) {
                    rs.next();
                    first = rs.getString(1);
                }
            }
            await().until(() -> threadsConnected() == 1); // kept, not closed
            assertThat(one(proxy, "app", "app-pw", "SELECT CONCAT(CONNECTION_ID(), ':', IFNULL(@left_behind, 'none'))"))
                    .isEqualTo(first + ":none");
            // another user takes it over too: the server checks that user's password
            assertThat(one(proxy, "other", "other-pw", "SELECT CONCAT(CONNECTION_ID(), ':', CURRENT_USER())"))
                    .isEqualTo(first + ":other@%");
            assertThatThrownBy(() -> one(proxy, "other", "wrong", "SELECT 1")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("Access denied");
            assertThat(one(proxy, "app", "app-pw", "SELECT CURRENT_USER()")).isEqualTo("app@%");
        }
    }

    @Test
    void aClientWithOtherCapabilitiesGetsAFreshConnection() throws SQLException {
        try (TestProxy proxy = proxy(new PoolConfig(4, 0, 60_000))) {
            String jdbc = one(proxy, "app", "app-pw", "SELECT CONNECTION_ID()");
            await().until(() -> threadsConnected() == 1);
            // the command-line client negotiates other capabilities: the pooled connection does not fit it
            Cli.Result r = Cli.run("mariadb", proxy.port(), "app", "app-pw", null, "--batch", "--skip-column-names",
                    "-e", "SELECT CONCAT(CURRENT_USER(), ' ', CONNECTION_ID())");
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(r.output().trim()).startsWith("app@% ").doesNotEndWith(" " + jdbc);
            // the pooled one is still there for the next JDBC client
            assertThat(one(proxy, "app", "app-pw", "SELECT CONNECTION_ID()")).isEqualTo(jdbc);
        }
    }

    @Test
    void connectionsInATransactionOrBeyondTheLimitAreClosed() throws SQLException {
        try (TestProxy proxy = proxy(new PoolConfig(1, 0, 60_000))) {
            Cli.Result r = Cli.run("mariadb", proxy.port(), "app", "app-pw", null, "-e",
                    "START TRANSACTION; SELECT 1");
            assertThat(r.exitCode()).as(r.output()).isZero();
            await().until(() -> threadsConnected() == 0);
            try (Connection a = DriverManager.getConnection(proxy.mariadbUrl("", ""), "app", "app-pw");
                 Connection b = DriverManager.getConnection(proxy.mariadbUrl("", ""), "app", "app-pw")) {
                assertThat(a.isValid(1) && b.isValid(1)).isTrue();
            }
            await().until(() -> threadsConnected() == 1); // one kept: at most one per backend and user
        }
    }

    @Test
    void theMinimumIdleIsKeptFromNewClients() throws SQLException {
        try (TestProxy proxy = proxy(new PoolConfig(4, 1, 60_000))) {
            String first = one(proxy, "app", "app-pw", "SELECT CONNECTION_ID()");
            await().until(() -> threadsConnected() == 1);
            // one idle connection is the minimum: the next client gets a new one, and leaves it too
            String second = one(proxy, "app", "app-pw", "SELECT CONNECTION_ID()");
            assertThat(second).isNotEqualTo(first);
            await().until(() -> threadsConnected() == 2);
            // now there is more than the minimum, so a client takes one over
            assertThat(one(proxy, "app", "app-pw", "SELECT CONNECTION_ID()")).isIn(first, second);
        }
    }

    @Test
    void theIdleTimeoutKeepsTheMinimumIdle() throws SQLException {
        try (TestProxy proxy = proxy(new PoolConfig(4, 1, 300))) {
            try (Connection a = DriverManager.getConnection(proxy.mariadbUrl("", ""), "app", "app-pw");
                 Connection b = DriverManager.getConnection(proxy.mariadbUrl("", ""), "app", "app-pw")) {
                assertThat(a.isValid(2)).isTrue();
                assertThat(b.isValid(2)).isTrue();
            }
            await().until(() -> threadsConnected() == 1); // one closed after the idle timeout
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                    .until(() -> threadsConnected() == 1); // the minimum stays
        }
    }

    @Test
    void idleConnectionsExpireAndDeadOnesAreDropped() throws SQLException {
        try (TestProxy proxy = proxy(new PoolConfig(4, 0, 300))) {
            one(proxy, "app", "app-pw", "SELECT 1");
            await().until(() -> threadsConnected() == 1);
            await().until(() -> threadsConnected() == 0); // closed after the idle timeout
        }
        try (TestProxy proxy = proxy(new PoolConfig(4, 0, 60_000))) {
            String id = one(proxy, "app", "app-pw", "SELECT CONNECTION_ID()");
            await().until(() -> threadsConnected() == 1);
            DB.server().execute("KILL " + id);
            await().until(() -> threadsConnected() == 0);
            assertThat(one(proxy, "app", "app-pw", "SELECT CONNECTION_ID()")).isNotEqualTo(id);
        }
    }

    @Test
    void scriptsSeeAndSizeThePool(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("pool.lua");
        Files.writeString(script, """
                function read_query(packet)
                  local pool = proxy.global.backends[1].pool
                  local sql = packet:sub(2)
                  if sql == "SELECT pool" then
                    proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = {
                      fields = { { name = "pool" } },
                      rows = { { pool.max_idle_connections .. " " .. pool.users["app"].cur_idle_connections
                                 .. " " .. pool.users[""].cur_idle_connections } } } }
                    return proxy.PROXY_SEND_RESULT
                  elseif sql == "SELECT grow" then
                    pool.max_idle_connections = 3
                    proxy.response = { type = proxy.MYSQLD_PACKET_OK }
                    return proxy.PROXY_SEND_RESULT
                  end
                end
                """);
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).pool(new PoolConfig(0, 0, 60_000))
                .script(script).start();
             Connection watcher = DriverManager.getConnection(proxy.mariadbUrl("", ""), "app", "app-pw");
             Statement s = watcher.createStatement()) {
            assertThat(pool(s)).isEqualTo("0 0 0");
            s.execute("SELECT grow");
            one(proxy, "other", "other-pw", "SELECT 1");
            await().until(() -> pool(s).equals("3 0 1")); // other's connection waits, under its user
            one(proxy, "app", "app-pw", "SELECT 1"); // takes it over, and leaves it as app's
            await().until(() -> pool(s).equals("3 1 1"));
        }
    }

    private static String pool(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT pool")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
