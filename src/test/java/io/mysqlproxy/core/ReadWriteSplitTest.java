package io.mysqlproxy.core;

import io.mysqlproxy.config.RoutingConfig;
import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Built-in read/write splitting (--routing=read-write-split) with a read-write and a read-only backend and no
 * script. The two servers are not replicas of each other here: each table says which server answered, so every
 * routing decision shows in the result (and a read sent to the wrong one gives a visibly wrong answer).
 */
class ReadWriteSplitTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension(2);
    static TestProxy proxy;
    /** Whether the proxy multiplexes (the subclass): prepared statements then pin the client to the primary. */
    static boolean multiplexed;

    @BeforeAll
    static void start() {
        multiplexed = false;
        for (int i = 0; i < 2; i++) {
            String name = i == 0 ? "primary" : "replica";
            DB.server(i).execute("CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw'", "GRANT ALL ON *.* TO 'app'@'%'",
                    "CREATE DATABASE shop", "CREATE TABLE shop.whoami (name TEXT)",
                    "INSERT INTO shop.whoami VALUES ('" + name + "')", "CREATE TABLE shop.orders (id INT)",
                    "CREATE DATABASE other", "CREATE TABLE other.whoami (name TEXT)",
                    "INSERT INTO other.whoami VALUES ('" + name + " other')");
        }
        proxy = TestProxy.builder().backend(DB.server(0).address()).readOnlyBackend(DB.server(1).address())
                .routing(new RoutingConfig(RoutingConfig.Mode.READ_WRITE_SPLIT, -1))
                .admin("admin", "admin-pw", null, 5).start();
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
            assertThat(rs.next()).as(sql).isTrue();
            return rs.getString(1);
        }
    }

    private static String onPrimary(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(DB.server(0).jdbcUrl(), "root", "");
             Statement s = c.createStatement()) {
            return one(s, sql);
        }
    }

    private static double routed(int server, String kind) {
        return proxy.server().metrics().registry().get("mysqlproxy.routing.statements")
                .tag("backend", DB.server(server).address()).tag("kind", kind).functionCounter().count();
    }

    @Test
    void readsGoToTheReplicaAndWritesToThePrimary() throws SQLException {
        double readsBefore = routed(1, "read");
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("replica");
            assertThat(s.executeUpdate("INSERT INTO orders VALUES (7)")).isEqualTo(1);
            assertThat(one(s, "/* a hint */ select name from whoami where name like 'r%' or 1 = 1")).isEqualTo("replica");
            assertThat(one(s, "(SELECT name FROM whoami)")).isEqualTo("replica");
        }
        assertThat(onPrimary("SELECT COUNT(*) FROM shop.orders WHERE id = 7")).isEqualTo("1");
        assertThat(routed(1, "read") - readsBefore).isGreaterThanOrEqualTo(3);
        assertThat(routed(0, "write")).isPositive();

        try (Connection admin = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + proxy.adminPort() + "/",
                "admin", "admin-pw"); Statement s = admin.createStatement()) {
            assertThat(one(s, "SELECT routing FROM listeners")).isEqualTo("read-write-split");
            assertThat(Long.parseLong(one(s, "SELECT routed_reads FROM backends WHERE address = '"
                    + DB.server(1).address() + "'"))).isGreaterThanOrEqualTo(3);
            assertThat(Long.parseLong(one(s, "SELECT routed_writes FROM backends WHERE address = '"
                    + DB.server(0).address() + "'"))).isPositive();
        }
    }

    @Test
    void readsThatLockWriteOrReadTheSessionGoToThePrimary() throws SQLException {
        try (Connection c = connect("allowMultiQueries=true"); Statement s = c.createStatement()) {
            for (String read : new String[] {"SELECT name FROM whoami FOR UPDATE",
                "SELECT name FROM whoami LOCK IN SHARE MODE", "SELECT name FROM whoami /*!40101 FOR UPDATE */",
                "SELECT CONCAT(name, LAST_INSERT_ID()) FROM whoami",
                "WITH w AS (SELECT name FROM whoami) SELECT name FROM w FOR UPDATE"}) {
                assertThat(one(s, read)).as(read).startsWith("primary");
            }
            // a write behind a read in one packet: the whole text runs on the primary
            assertThat(s.execute("SELECT name FROM whoami; INSERT INTO orders VALUES (81)")).isTrue();
            try (ResultSet rs = s.getResultSet()) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("primary");
            }
            assertThat(s.getMoreResults()).isFalse();
            assertThat(s.getUpdateCount()).isEqualTo(1);
        }
        assertThat(onPrimary("SELECT COUNT(*) FROM shop.orders WHERE id = 81")).isEqualTo("1");
    }

    @Test
    void transactionsStayOnThePrimary() throws SQLException {
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            s.execute("START TRANSACTION");
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("primary");
            s.execute("COMMIT");
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("replica");
            c.setAutoCommit(false);
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("primary");
            c.commit();
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("primary");
            c.setAutoCommit(true);
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("replica");
        }
    }

    @Test
    void sessionStatePinsTheClientToThePrimary() throws SQLException {
        String[] pinning = {"SET @x = 1", "CREATE TEMPORARY TABLE scratch (i INT)", "SELECT GET_LOCK('l', 1)",
            "SELECT @y := 2", "LOCK TABLES whoami READ"};
        for (String statement : pinning) {
            try (Connection c = connect(""); Statement s = c.createStatement()) {
                assertThat(one(s, "SELECT name FROM whoami")).as(statement).isEqualTo("replica");
                s.execute(statement);
                assertThat(one(s, "SELECT name FROM whoami")).as(statement).isEqualTo("primary");
                assertThat(one(s, "SELECT name FROM whoami")).as(statement).isEqualTo("primary");
            }
        }
    }

    @Test
    void sessionVariablesAndTheDefaultDatabaseFollowTheClientToTheReplica() throws SQLException {
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            s.execute("SET SESSION sql_mode = 'ANSI_QUOTES', NAMES utf8mb4");
            // with ANSI_QUOTES "name" is the column: the replica's session has the client's sql_mode
            assertThat(one(s, "SELECT \"name\" FROM whoami")).isEqualTo("replica");
            assertThat(one(s, "SELECT @@sql_mode")).isEqualTo("ANSI_QUOTES");
            s.execute("USE other");
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("replica other");
            c.setCatalog("shop");
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("replica");
            assertThatThrownBy(() -> s.execute("USE nowhere")).hasMessageContaining("nowhere");
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("replica");
        }
    }

    /** Where a prepared read runs: a replica when the client keeps its connections, the primary under multiplexing. */
    private static String preparedReadsOn() {
        return multiplexed ? "primary" : "replica";
    }

    private static String first(PreparedStatement p) throws SQLException {
        try (ResultSet rs = p.executeQuery()) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    private static long preparedStatementsOn(int server) throws SQLException {
        try (Connection c = DriverManager.getConnection(DB.server(server).jdbcUrl(), "root", "");
             Statement s = c.createStatement()) {
            return Long.parseLong(one(s, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
                    + " WHERE VARIABLE_NAME = 'PREPARED_STMT_COUNT'"));
        }
    }

    /**
     * Server-side prepared statements of read-only text run where reads run: the proxy prepares them again on the
     * replica the first time one of their executions goes there; writes, locking reads and every statement inside a
     * transaction run on the primary, under the ids the client got from it.
     */
    @Test
    void serverSidePreparedReadsGoWhereReadsGoAndWritesToThePrimary() throws SQLException {
        for (String url : new String[] {proxy.mariadbUrl("shop", "useServerPrepStmts=true"),
            proxy.mysqlUrl("shop", "useServerPrepStmts=true&cachePrepStmts=false")}) {
            try (Connection c = DriverManager.getConnection(url, "app", "app-pw");
                 PreparedStatement read = c.prepareStatement("SELECT CONCAT(name, ?) FROM whoami");
                 PreparedStatement write = c.prepareStatement("INSERT INTO orders VALUES (?)");
                 PreparedStatement locking = c.prepareStatement("SELECT CONCAT(name, ?) FROM whoami FOR UPDATE")) {
                for (int i = 0; i < 3; i++) {
                    read.setInt(1, i);
                    assertThat(first(read)).as(url).isEqualTo(preparedReadsOn() + i);
                }
                read.setString(1, "-text"); // other parameter types: sent with this execution
                assertThat(first(read)).as(url).isEqualTo(preparedReadsOn() + "-text");
                write.setInt(1, 41);
                assertThat(write.executeUpdate()).isEqualTo(1);
                locking.setInt(1, 5);
                assertThat(first(locking)).isEqualTo("primary5");
                c.setAutoCommit(false);
                read.setInt(1, 6);
                assertThat(first(read)).as("inside a transaction").isEqualTo("primary6");
                c.commit();
                c.setAutoCommit(true);
                assertThat(first(read)).as(url).isEqualTo(preparedReadsOn() + "6");
            }
        }
        assertThat(onPrimary("SELECT COUNT(*) FROM shop.orders WHERE id = 41")).isEqualTo("2");
    }

    /**
     * A client sends a statement's parameter types only when they change: a replica that prepared the statement after
     * the types were sent (to the primary, in a transaction) gets them from the proxy with the execution that needs them.
     */
    @Test
    void aReplicaGetsTheParameterTypesTheClientSentToThePrimary() throws SQLException {
        try (Connection c = DriverManager.getConnection(proxy.mysqlUrl("shop", "useServerPrepStmts=true"), "app",
                "app-pw"); PreparedStatement p = c.prepareStatement("SELECT CONCAT(name, ?, ?) FROM whoami")) {
            c.setAutoCommit(false);
            p.setString(1, "-a");
            p.setLong(2, 7);
            assertThat(first(p)).isEqualTo("primary-a7"); // the types go to the primary
            c.commit();
            c.setAutoCommit(true);
            p.setString(1, "-b");
            p.setLong(2, 8);
            assertThat(first(p)).isEqualTo(preparedReadsOn() + "-b8"); // no types: the proxy adds them
            p.setString(1, "-c");
            p.setLong(2, 9);
            assertThat(first(p)).isEqualTo(preparedReadsOn() + "-c9");
        }
    }

    /** A statement the replica cannot prepare (its table is on the primary only) runs on the primary. */
    @Test
    void aStatementTheReplicaCannotPrepareRunsOnThePrimary() throws SQLException {
        DB.server(0).execute("CREATE TABLE IF NOT EXISTS shop.primary_only (v TEXT)",
                "REPLACE INTO shop.primary_only VALUES ('only here')");
        for (String url : new String[] {proxy.mariadbUrl("shop", "useServerPrepStmts=true"),
            proxy.mysqlUrl("shop", "useServerPrepStmts=true")}) {
            try (Connection c = DriverManager.getConnection(url, "app", "app-pw");
                 PreparedStatement p = c.prepareStatement("SELECT v FROM primary_only WHERE ? = 1")) {
                for (int i = 0; i < 3; i++) {
                    p.setInt(1, 1);
                    assertThat(first(p)).as(url).isEqualTo("only here");
                }
            }
        }
    }

    /** Rows read through a cursor come from the connection the cursor is open on: the primary's. */
    @Test
    void aPreparedReadWithACursorRunsOnThePrimary() throws SQLException {
        try (Connection c = DriverManager.getConnection(proxy.mysqlUrl("shop",
                "useServerPrepStmts=true&useCursorFetch=true&defaultFetchSize=1"), "app", "app-pw");
             PreparedStatement p = c.prepareStatement("SELECT name FROM whoami WHERE ? = 1 UNION ALL"
                     + " SELECT name FROM whoami")) {
            p.setInt(1, 1);
            p.setFetchSize(1);
            try (ResultSet rs = p.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("primary");
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("primary");
                assertThat(rs.next()).isFalse();
            }
        }
    }

    /** A statement the client closes is closed on the replica too: the copies do not pile up there. */
    @Test
    void aClosedStatementIsClosedOnTheReplicaToo() throws SQLException {
        try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("shop",
                "useServerPrepStmts=true&cachePrepStmts=false"), "app", "app-pw")) {
            long before = preparedStatementsOn(1);
            for (int i = 0; i < 5; i++) {
                try (PreparedStatement p = c.prepareStatement("SELECT name FROM whoami WHERE " + i + " = ?")) {
                    p.setInt(1, i);
                    assertThat(first(p)).isEqualTo(preparedReadsOn());
                }
            }
            try (Statement s = c.createStatement()) {
                // one more command on each (under multiplexing the prepared statements pinned the client)
                assertThat(one(s, "SELECT name FROM whoami")).isEqualTo(preparedReadsOn());
                assertThat(one(s, "SELECT name FROM whoami FOR UPDATE")).isEqualTo("primary");
            }
            assertThat(preparedStatementsOn(1)).isEqualTo(before);
        }
    }

    @Test
    void theCommandLineClientAndMySqlConnectorJAreSplitToo() throws SQLException {
        Cli.Result r = Cli.run("mariadb", proxy.port(), "app", "app-pw", null, "--batch", "--skip-column-names", "shop",
                "-e", "SELECT name FROM whoami; INSERT INTO orders VALUES (8); BEGIN; SELECT name FROM whoami; COMMIT;"
                        + " SELECT name FROM whoami");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).isEqualTo("replica\nprimary\nreplica\n");
        assertThat(onPrimary("SELECT COUNT(*) FROM shop.orders WHERE id = 8")).isEqualTo("1");

        Cli.Result locked = Cli.run("mariadb", proxy.port(), "app", "app-pw", null, "--batch", "--skip-column-names",
                "shop", "-e", "SELECT name FROM whoami FOR UPDATE");
        assertThat(locked.output()).isEqualTo("primary\n");

        try (Connection c = DriverManager.getConnection(proxy.mysqlUrl("shop", ""), "app", "app-pw");
             Statement s = c.createStatement()) {
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("replica");
            assertThat(s.executeUpdate("INSERT INTO orders VALUES (9)")).isEqualTo(1);
        }
        assertThat(onPrimary("SELECT COUNT(*) FROM shop.orders WHERE id = 9")).isEqualTo("1");
    }

    @Test
    void anErrorOnTheReplicaReachesTheClientAndTheSessionGoesOn() throws SQLException {
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeQuery("SELECT * FROM no_such_table"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("no_such_table");
            assertThat(one(s, "SELECT name FROM whoami")).isEqualTo("replica");
        }
        Cli.Result r = Cli.run("mariadb", proxy.port(), "app", "app-pw", null, "--batch", "shop", "-e",
                "SELECT * FROM no_such_table");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("ERROR 1146").contains("no_such_table");
    }
}
