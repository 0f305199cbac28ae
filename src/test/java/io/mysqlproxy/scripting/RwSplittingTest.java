package io.mysqlproxy.scripting;

import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.MariaDbServer;
import io.mysqlproxy.testing.TestProxy;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * lua/rw-splitting.lua with a read-write and a read-only backend. The two servers are not replicas of each other
 * here: each table says which server answered, so every routing decision is visible in the result.
 */
class RwSplittingTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension(2);
    static TestProxy proxy;

    @BeforeAll
    static void start() {
        for (int i = 0; i < 2; i++) {
            String name = i == 0 ? "primary" : "replica";
            DB.server(i).execute("CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw'", "GRANT ALL ON *.* TO 'app'@'%'",
                    "CREATE USER 'pooled'@'%' IDENTIFIED BY 'pooled-pw'", "GRANT ALL ON *.* TO 'pooled'@'%'",
                    "CREATE DATABASE shop", "CREATE TABLE shop.whoami (name TEXT)",
                    "INSERT INTO shop.whoami VALUES ('" + name + "')", "CREATE TABLE shop.orders (id INT)",
                    "CREATE DATABASE other", "CREATE TABLE other.whoami (name TEXT)",
                    "INSERT INTO other.whoami VALUES ('" + name + " other')");
        }
        proxy = TestProxy.builder().backend(DB.server(0).address()).readOnlyBackend(DB.server(1).address())
                .script(Path.of("lua", "rw-splitting.lua").toAbsolutePath()).start();
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    private static Connection connect(String options) throws SQLException {
        return DriverManager.getConnection(proxy.mariadbUrl("shop", options), "app", "app-pw");
    }

    private static String one(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    @Test
    void readsGoToTheReplicaAndWritesToThePrimary() throws SQLException {
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("replica");
            assertThat(s.executeUpdate("INSERT INTO orders VALUES (7)")).isEqualTo(1);
            assertThat(one(s, "SELECT name FROM whoami WHERE name LIKE 'r%' OR 1 = 1")).isEqualTo("replica");
            assertThat(one(s, "SELECT name FROM whoami FOR UPDATE")).isEqualTo("primary");
            assertThat(one(s, "SELECT CONCAT(name, LAST_INSERT_ID()) FROM whoami")).startsWith("primary");
        }
        try (Connection primary = DriverManager.getConnection(DB.server(0).jdbcUrl(), "root", "");
             Statement s = primary.createStatement()) {
            assertThat(one(s, "SELECT COUNT(*) FROM shop.orders WHERE id = 7")).isEqualTo("1");
        }
    }

    @Test
    void aWriteHiddenBehindAReadInOnePacketGoesToThePrimary() throws SQLException {
        try (Connection c = connect("allowMultiQueries=true"); Statement s = c.createStatement()) {
            for (String text : new String[] {"SELECT name FROM whoami; INSERT INTO orders VALUES (81)",
                    "SELECT name FROM whoami #'\n; INSERT INTO orders VALUES (81)"}) {
                assertThat(s.execute(text)).isTrue();
                try (ResultSet rs = s.getResultSet()) {
                    rs.next();
                    assertThat(rs.getString(1)).as(text).isEqualTo("primary");
                }
            }
        }
        for (int server = 0; server < 2; server++) {
            try (Connection direct = DriverManager.getConnection(DB.server(server).jdbcUrl(), "root", "");
                 Statement s = direct.createStatement()) {
                assertThat(one(s, "SELECT COUNT(*) FROM shop.orders WHERE id = 81")).isEqualTo(server == 0 ? "2" : "0");
            }
        }
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            // the SQL of an executable comment is read: a locking read belongs on the primary
            assertThat(one(s, "SELECT name FROM whoami /*!40101 FOR UPDATE */")).isEqualTo("primary");
        }
    }

    @Test
    void transactionsStayOnThePrimary() throws SQLException {
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            s.execute("START TRANSACTION");
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("primary");
            s.execute("COMMIT");
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("replica");
            s.execute("BEGIN");
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("primary");
            s.execute("ROLLBACK");
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("replica");
        }
    }

    @Test
    void sessionStatePinsTheConnectionToThePrimary() throws SQLException {
        String[] pinning = {"SET @x = 1", "CREATE TEMPORARY TABLE scratch (i INT)", "SELECT GET_LOCK('l', 1)",
            "SELECT @y := 2", "SET autocommit = 0", "SET SESSION sql_mode = (SELECT 'ANSI')", "LOCK TABLES whoami READ",
            "SET unknown_variable = 1"};
        for (String statement : pinning) {
            try (Connection c = connect(""); Statement s = c.createStatement()) {
                assertThat(one(s, "SELECT name FROM whoami")).as(statement).isEqualTo("replica");
                if (statement.startsWith("SET unknown")) {
                    // refused by both: the client sees the primary's error, and the sessions may now differ
                    assertThatThrownBy(() -> s.execute(statement)).hasMessageContaining("unknown_variable");
                } else {
                    s.execute(statement);
                }
                assertThat(one(s, "SELECT name FROM whoami")).as(statement).isEqualTo("primary");
                assertThat(one(s, "SELECT name FROM whoami")).as(statement).isEqualTo("primary");
            }
        }
    }

    @Test
    void sessionVariablesAreSetOnBothConnections() throws SQLException {
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            s.execute("SET SESSION sql_mode = 'ANSI_QUOTES', NAMES utf8mb4");
            // with ANSI_QUOTES "name" is the column: the replica's session has the new sql_mode
            assertThat(one(s, "SELECT \"name\" FROM whoami")).isEqualTo("replica");
            assertThat(one(s, "SELECT @@sql_mode")).isEqualTo("ANSI_QUOTES");
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("replica");
        }
    }

    @Test
    void theReplicaFollowsTheDefaultDatabase() throws SQLException {
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            s.execute("USE other");
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("replica other");
            c.setCatalog("shop");
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("replica");
            s.execute("USE nowhere_on_the_replica_either");
        } catch (SQLException expected) {
            assertThat(expected.getMessage()).contains("nowhere_on_the_replica_either");
        }
    }

    @Test
    void preparedStatementsRunOnThePrimary() throws SQLException {
        try (Connection c = connect("useServerPrepStmts=true");
             PreparedStatement p = c.prepareStatement("SELECT name FROM whoami WHERE ? = 1")) {
            p.setInt(1, 1);
            try (ResultSet rs = p.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("primary");
            }
        }
    }

    @Test
    void commandLineAndMySqlClientsAreSplitToo() throws SQLException {
        Cli.Result r = Cli.run("mariadb", proxy.port(), "app", "app-pw", null, "--batch", "--skip-column-names", "shop",
                "-e", "SELECT name FROM whoami; INSERT INTO orders VALUES (8); BEGIN; SELECT name FROM whoami; COMMIT");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).isEqualTo("replica\nprimary\n");
        try (Connection c = DriverManager.getConnection(proxy.mysqlUrl("shop", ""), "app", "app-pw");
             Statement s = c.createStatement()) {
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("replica");
        }
    }

    @Test
    void replicaConnectionsAreKeptForTheNextClient() throws SQLException {
        try (TestProxy own = TestProxy.builder().backend(DB.server(0).address()).readOnlyBackend(DB.server(1).address())
                .script(Path.of("lua", "rw-splitting.lua").toAbsolutePath()).start()) {
            String url = own.mariadbUrl("shop", "");
            try (Connection c = DriverManager.getConnection(url, "pooled", "pooled-pw"); Statement s = c.createStatement()) {
                assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("replica");
            }
            Awaitility.await().untilAsserted(() -> assertThat(pooledConnections(1)).hasSize(1));
            Set<String> kept = pooledConnections(1);
            for (int i = 0; i < 3; i++) {
                try (Connection c = DriverManager.getConnection(url, "pooled", "pooled-pw");
                     Statement s = c.createStatement()) {
                    assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("replica");
                    assertThat(pooledConnections(1)).isEqualTo(kept); // the kept connection serves this client
                }
                Awaitility.await().until(() -> pooledConnections(1).equals(kept));
            }
            Awaitility.await().until(() -> pooledConnections(0).isEmpty()); // primaries are closed
        }
    }

    /** Thread ids of the pooled user's connections on server {@code index}. */
    private static Set<String> pooledConnections(int index) throws SQLException {
        Set<String> ids = new TreeSet<>();
        try (Connection c = DriverManager.getConnection(DB.server(index).jdbcUrl(), "root", "");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'pooled'")) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        }
        return ids;
    }

    @Test
    void withoutAReachableReplicaEverythingRunsOnThePrimary() throws SQLException {
        try (TestProxy degraded = TestProxy.builder().backend(DB.server(0).address())
                .readOnlyBackend("127.0.0.1:" + MariaDbServer.freePort())
                .script(Path.of("lua", "rw-splitting.lua").toAbsolutePath()).start();
             Connection c = DriverManager.getConnection(degraded.mariadbUrl("shop", ""), "app", "app-pw");
             Statement s = c.createStatement()) {
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("primary");
        }
    }
}
