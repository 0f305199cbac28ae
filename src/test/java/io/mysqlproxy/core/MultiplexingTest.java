package io.mysqlproxy.core;

import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.mysqlproxy.config.MultiplexingConfig;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.ResetlessServer;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Multiplexing against a real server: clients share a few backend connections between transactions, and every kind
 * of session state pins a client to its connection. Each pin test interleaves two clients so that, were the state
 * not pinned (or replayed), one client's statement would run on the connection the other left its state on.
 */
class MultiplexingTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension(1);
    private static TestProxy proxy;
    private static final PrometheusMeterRegistry REGISTRY =
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** Server-side prepared statements, and a bound on how long a test waits should a statement block. */
    private static final String CLIENT_OPTIONS = "useServerPrepStmts=true&socketTimeout=20000";

    @BeforeAll
    static void start() {
        DB.server().execute("CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw'", "GRANT ALL ON *.* TO 'app'@'%'",
                "CREATE USER 'solo'@'%' IDENTIFIED BY 'solo-pw'", "GRANT ALL ON *.* TO 'solo'@'%'",
                "CREATE DATABASE mux", "CREATE DATABASE mux2",
                "CREATE TABLE mux.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))",
                "CREATE TABLE mux2.marker (v VARCHAR(20))", "INSERT INTO mux2.marker VALUES ('second')");
        proxy = TestProxy.builder().backend(DB.server().address())
                .pool(new PoolConfig(0, 0, 60_000, new MultiplexingConfig(true, Set.of("solo"), 200, 2_000)))
                .admin("admin", "admin-pw", null, 5).registry(REGISTRY).start();
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    private static Connection client() throws SQLException {
        return DriverManager.getConnection(proxy.mariadbUrl("mux", CLIENT_OPTIONS), "app", "app-pw");
    }

    /**
     * Two clients whose unpinned statements run on the same backend connection, one after the other: what one leaves
     * on the connection, the other would see. (Connections are borrowed on the client's own event loop first, so
     * not every two clients share.)
     */
    private record SharingPair(Connection a, Connection b, List<Connection> all) implements AutoCloseable {
        @Override
        public void close() throws SQLException {
            for (Connection c : all) {
                c.close();
            }
        }
    }

    private static SharingPair sharingPair() throws SQLException {
        return sharingPair(MultiplexingTest::client);
    }

    private interface Client {
        Connection open() throws SQLException;
    }

    private static SharingPair sharingPair(Client client) throws SQLException {
        List<Connection> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            all.add(client.open());
        }
        for (Connection a : all) {
            for (Connection b : all) {
                if (a != b && sameThread(a, b) && sameThread(a, b)) {
                    return new SharingPair(a, b, all);
                }
            }
        }
        throw new AssertionError("no two of six clients share a backend connection");
    }

    private static boolean sameThread(Connection a, Connection b) throws SQLException {
        return one(a, "SELECT @@pseudo_thread_id").equals(one(b, "SELECT @@pseudo_thread_id"));
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void run(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static int backendConnections(String user) throws SQLException {
        try (Connection c = DriverManager.getConnection(DB.server().jdbcUrl(), "root", "");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '"
                     + user + "'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void manyClientsShareAFewBackendConnections() throws Exception {
        DB.server().execute("CREATE USER 'many'@'%' IDENTIFIED BY 'm-pw'", "GRANT ALL ON *.* TO 'many'@'%'");
        try (TestProxy three = TestProxy.builder().backend(DB.server().address())
                .pool(new PoolConfig(0, 0, 60_000, new MultiplexingConfig(true, Set.of(), 3, 2_000))).start()) {
            List<Connection> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    clients.add(DriverManager.getConnection(three.mariadbUrl("mux", CLIENT_OPTIONS), "many", "m-pw"));
                }
                Set<String> threads = new HashSet<>();
                for (int round = 0; round < 3; round++) {
                    for (Connection c : clients) {
                        threads.add(one(c, "SELECT @@pseudo_thread_id"));
                        assertThat(one(c, "SELECT COUNT(*) FROM t")).isNotNull();
                    }
                }
                assertThat(threads).hasSizeLessThanOrEqualTo(3);
                assertThat(backendConnections("many")).isLessThanOrEqualTo(3);
            } finally {
                for (Connection c : clients) {
                    c.close();
                }
            }
        }
    }

    @Test
    void everyClientThatPinsGetsAConnectionOfItsOwnUpToTheLimit() throws Exception {
        DB.server().execute("CREATE USER 'prep'@'%' IDENTIFIED BY 'p-pw'", "GRANT ALL ON *.* TO 'prep'@'%'");
        List<Connection> clients = new ArrayList<>();
        List<PreparedStatement> statements = new ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) {
                Connection c = DriverManager.getConnection(proxy.mariadbUrl("mux", CLIENT_OPTIONS), "prep", "p-pw");
                clients.add(c);
                one(c, "SELECT 1");
            }
            for (int i = 0; i < clients.size(); i++) { // server-side prepared statements: each client pins
                PreparedStatement ps = clients.get(i).prepareStatement("SELECT CONCAT(?, ':', @@pseudo_thread_id)");
                statements.add(ps);
                ps.setInt(1, i);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getString(1)).startsWith(i + ":");
                }
            }
            assertThat(backendConnections("prep")).isEqualTo(12);
        } finally {
            for (Connection c : clients) {
                c.close();
            }
        }
    }

    @Test
    void anExcludedUserKeepsItsOwnConnection() throws SQLException {
        try (Connection a = DriverManager.getConnection(proxy.mariadbUrl("mux", ""), "solo", "solo-pw");
             Connection b = DriverManager.getConnection(proxy.mariadbUrl("mux", ""), "solo", "solo-pw")) {
            String aThread = one(a, "SELECT @@pseudo_thread_id");
            String bThread = one(b, "SELECT @@pseudo_thread_id");
            assertThat(aThread).isNotEqualTo(bThread);
            for (int i = 0; i < 3; i++) {
                assertThat(one(b, "SELECT @@pseudo_thread_id")).isEqualTo(bThread);
                assertThat(one(a, "SELECT @@pseudo_thread_id")).isEqualTo(aThread);
            }
        }
    }

    @Test
    void sessionStateTheServerReportsPinsWhatTheStatementDoesNotShow() throws SQLException {
        // a stored function sets a user variable: nothing in "SELECT mux.remember(7)" says so, but with
        // session_track_state_change on, the server's OK says the session changed (clients with CLIENT_SESSION_TRACK)
        DB.server().execute("CREATE USER 'tracked'@'%' IDENTIFIED BY 'tracked-pw'", "GRANT ALL ON *.* TO 'tracked'@'%'",
                "CREATE FUNCTION mux.remember(v INT) RETURNS INT DETERMINISTIC NO SQL BEGIN SET @remembered = v;"
                        + " RETURN v; END",
                "SET GLOBAL session_track_state_change = ON");
        try (TestProxy tracked = TestProxy.builder().backend(DB.server().address())
                .pool(new PoolConfig(0, 0, 60_000, new MultiplexingConfig(true, Set.of(), 3, 2_000))).start();
             SharingPair pair = sharingPair(() -> DriverManager.getConnection(tracked.mariadbUrl("mux",
                     CLIENT_OPTIONS), "tracked", "tracked-pw"))) {
            assertThat(one(pair.a(), "SELECT mux.remember(7)")).isEqualTo("7");
            for (int i = 0; i < 3; i++) {
                assertThat(one(pair.b(), "SELECT COALESCE(@remembered, 'unset')")).isEqualTo("unset");
                assertThat(one(pair.a(), "SELECT @remembered")).isEqualTo("7");
            }
        } finally {
            DB.server().execute("SET GLOBAL session_track_state_change = OFF");
        }
    }

    @Test
    void onAServerWithoutComResetConnectionADirtyConnectionIsLeftToLogins() throws Exception {
        DB.server().execute("CREATE USER 'old'@'%' IDENTIFIED BY 'old-pw'", "GRANT ALL ON *.* TO 'old'@'%'");
        try (ResetlessServer old = new ResetlessServer(DB.server());
             TestProxy viaOld = TestProxy.builder().backend(old.address())
                     .pool(new PoolConfig(0, 0, 60_000, new MultiplexingConfig(true, Set.of(), 3, 2_000))).start()) {
            Client open = () -> DriverManager.getConnection(viaOld.mariadbUrl("mux", CLIENT_OPTIONS), "old", "old-pw");
            try (Connection b = open.open(); Connection other = open.open()) {
                try (Connection a = open.open()) {
                    run(a, "SET @secret = 'a'");
                }
                // a's connection went back dirty, and the server cannot reset it: b never runs on it
                for (int i = 0; i < 3; i++) {
                    assertThat(one(other, "SELECT 'no error'")).isEqualTo("no error");
                }
                assertThat(one(b, "SELECT COALESCE(@secret, 'unset')")).isEqualTo("unset");
                // a login takes it over with COM_CHANGE_USER, which resets it
                try (Connection c = open.open()) {
                    assertThat(one(c, "SELECT COALESCE(@secret, 'unset')")).isEqualTo("unset");
                }
                assertThat(one(other, "SELECT 'still no error'")).isEqualTo("still no error");
            }
        }
    }

    @Test
    void userVariablesPin() throws SQLException {
        try (SharingPair pair = sharingPair()) {
            Connection a = pair.a();
            Connection b = pair.b();
            run(a, "SET @who = 'a'");
            run(b, "SET @who = 'b'");
            assertThat(one(a, "SELECT @who")).isEqualTo("a");
            assertThat(one(b, "SELECT @who")).isEqualTo("b");
            try (Connection c = client()) {
                assertThat(one(c, "SELECT @who")).isNull();
            }
        }
    }

    @Test
    void temporaryTablesPin() throws SQLException {
        try (SharingPair pair = sharingPair()) {
            Connection a = pair.a();
            Connection b = pair.b();
            run(a, "CREATE TEMPORARY TABLE tmp (v VARCHAR(5))");
            run(a, "INSERT INTO tmp VALUES ('a')");
            run(b, "CREATE TEMPORARY TABLE tmp (v VARCHAR(5))");
            run(b, "INSERT INTO tmp VALUES ('b')");
            assertThat(one(a, "SELECT GROUP_CONCAT(v) FROM tmp")).isEqualTo("a");
            assertThat(one(b, "SELECT GROUP_CONCAT(v) FROM tmp")).isEqualTo("b");
        }
    }

    @Test
    void transactionsPinUntilTheyEnd() throws SQLException {
        try (SharingPair pair = sharingPair()) {
            Connection a = pair.a();
            Connection b = pair.b();
            run(a, "BEGIN");
            run(a, "INSERT INTO t (v) VALUES ('in-tx')");
            assertThat(one(b, "SELECT COUNT(*) FROM t WHERE v = 'in-tx'")).isEqualTo("0");
            assertThat(one(a, "SELECT COUNT(*) FROM t WHERE v = 'in-tx'")).isEqualTo("1");
            run(a, "ROLLBACK");
            assertThat(one(b, "SELECT COUNT(*) FROM t WHERE v = 'in-tx'")).isEqualTo("0");

            a.setAutoCommit(false); // SET autocommit=0: an implicit transaction from the next statement on
            run(a, "INSERT INTO t (v) VALUES ('no-autocommit')");
            assertThat(one(b, "SELECT COUNT(*) FROM t WHERE v = 'no-autocommit'")).isEqualTo("0");
            a.rollback();
            a.setAutoCommit(true);
            assertThat(one(b, "SELECT COUNT(*) FROM t WHERE v = 'no-autocommit'")).isEqualTo("0");
            run(a, "INSERT INTO t (v) VALUES ('committed')");
            assertThat(one(b, "SELECT COUNT(*) FROM t WHERE v = 'committed'")).isEqualTo("1");
        }
    }

    @Test
    void namedLocksPin() throws SQLException {
        try (SharingPair pair = sharingPair()) {
            Connection a = pair.a();
            Connection b = pair.b();
            assertThat(one(a, "SELECT GET_LOCK('mux-lock', 0)")).isEqualTo("1");
            assertThat(one(b, "SELECT GET_LOCK('mux-lock', 0)")).isEqualTo("0");
            assertThat(one(a, "SELECT RELEASE_LOCK('mux-lock')")).isEqualTo("1");
            assertThat(one(b, "SELECT GET_LOCK('mux-lock', 0)")).isEqualTo("1");
        }
    }

    @Test
    void tableLocksPin() throws SQLException {
        try (SharingPair pair = sharingPair()) {
            Connection a = pair.a();
            Connection b = pair.b();
            run(a, "LOCK TABLES t WRITE");
            b.setAutoCommit(false); // b takes a connection and keeps it: not the one holding the lock
            run(b, "SELECT 1");
            run(a, "INSERT INTO t (v) VALUES ('locked')"); // elsewhere, it would wait for the lock
            assertThat(one(a, "SELECT COUNT(*) FROM t WHERE v = 'locked'")).isEqualTo("1");
            run(a, "UNLOCK TABLES");
            b.setAutoCommit(true);
        }
    }

    @Test
    void otherSessionVariablesPin() throws SQLException {
        try (SharingPair pair = sharingPair()) {
            Connection a = pair.a();
            Connection b = pair.b();
            run(a, "SET SESSION lock_wait_timeout = 7");
            assertThat(one(b, "SELECT @@lock_wait_timeout")).isNotEqualTo("7");
            assertThat(one(a, "SELECT @@lock_wait_timeout")).isEqualTo("7");
        }
    }

    @Test
    void trackedVariablesAreReplayedInsteadOfPinning() throws SQLException {
        try (SharingPair pair = sharingPair()) {
            Connection a = pair.a();
            Connection b = pair.b();
            run(a, "SET time_zone = '+05:00'");
            run(a, "SET SESSION sql_mode = 'ANSI_QUOTES'");
            Set<String> threads = new HashSet<>();
            for (int i = 0; i < 5; i++) {
                assertThat(one(b, "SELECT @@time_zone")).isEqualTo("SYSTEM");
                assertThat(one(b, "SELECT @@sql_mode")).isNotEqualTo("ANSI_QUOTES");
                assertThat(one(a, "SELECT @@time_zone")).isEqualTo("+05:00");
                assertThat(one(a, "SELECT @@sql_mode")).isEqualTo("ANSI_QUOTES");
                threads.add(one(a, "SELECT @@pseudo_thread_id"));
                threads.add(one(b, "SELECT @@pseudo_thread_id"));
            }
            // not pinned: both clients ran on shared connections
            assertThat(threads).hasSizeLessThan(10);
        }
    }

    @Test
    void aSetSentTogetherWithAnotherStatementIsNeverReplayedWithIt() throws SQLException {
        DB.server().execute("CREATE TABLE mux.replayed (v INT)");
        try (SharingPair pair = sharingPair(() -> DriverManager.getConnection(
                proxy.mariadbUrl("mux", CLIENT_OPTIONS + "&allowMultiQueries=true"), "app", "app-pw"))) {
            Connection a = pair.a();
            Connection b = pair.b();
            run(a, "SET time_zone = '+05:00'; INSERT INTO mux.replayed VALUES (1)");
            for (int i = 0; i < 5; i++) {
                assertThat(one(b, "SELECT @@time_zone")).isEqualTo("SYSTEM");
                assertThat(one(a, "SELECT @@time_zone")).isEqualTo("+05:00");
            }
            assertThat(one(a, "SELECT COUNT(*) FROM mux.replayed")).isEqualTo("1");
        }
    }

    @Test
    void theDefaultDatabaseFollowsTheClient() throws SQLException {
        try (SharingPair pair = sharingPair()) {
            Connection a = pair.a();
            Connection b = pair.b();
            run(a, "USE mux2");
            assertThat(one(b, "SELECT DATABASE()")).isEqualTo("mux");
            assertThat(one(a, "SELECT DATABASE()")).isEqualTo("mux2");
            assertThat(one(a, "SELECT v FROM marker")).isEqualTo("second");
            a.setCatalog("mux"); // COM_INIT_DB
            assertThat(one(a, "SELECT DATABASE()")).isEqualTo("mux");
        }
    }

    @Test
    void lastInsertIdIsTheClientsOwn() throws SQLException {
        try (SharingPair pair = sharingPair()) {
            Connection a = pair.a();
            Connection b = pair.b();
            run(a, "INSERT INTO t (v) VALUES ('a-insert')");
            String aId = one(a, "SELECT MAX(id) FROM t WHERE v = 'a-insert'");
            run(b, "INSERT INTO t (v) VALUES ('b-insert')");
            String bId = one(b, "SELECT MAX(id) FROM t WHERE v = 'b-insert'");
            assertThat(aId).isNotEqualTo(bId);
            assertThat(one(a, "SELECT LAST_INSERT_ID()")).isEqualTo(aId);
            assertThat(one(b, "SELECT LAST_INSERT_ID()")).isEqualTo(bId);
            assertThat(one(a, "SELECT @@last_insert_id")).isEqualTo(aId);
        }
    }

    @Test
    void foundRowsPins() throws SQLException {
        try (SharingPair pair = sharingPair()) {
            Connection a = pair.a();
            Connection b = pair.b();
            run(a, "INSERT INTO t (v) VALUES ('r1'), ('r2'), ('r3')");
            one(a, "SELECT SQL_CALC_FOUND_ROWS id FROM t LIMIT 1");
            one(b, "SELECT SQL_CALC_FOUND_ROWS id FROM t WHERE v = 'r1' LIMIT 1");
            int total = Integer.parseInt(one(b, "SELECT COUNT(*) FROM t"));
            assertThat(one(a, "SELECT FOUND_ROWS()")).isEqualTo(String.valueOf(total));
        }
    }

    @Test
    void foundRowsOfAConnectionAnotherClientUsedSinceIsAnErrorNotAWrongAnswer() throws SQLException {
        try (SharingPair pair = sharingPair()) {
            run(pair.a(), "INSERT INTO t (v) VALUES ('rc1'), ('rc2')");
            assertThat(one(pair.a(), "SELECT ROW_COUNT()")).isEqualTo("2"); // nobody used the connection since
            run(pair.a(), "INSERT INTO t (v) VALUES ('rc3')");
            one(pair.b(), "SELECT 1");
            assertThatThrownBy(() -> one(pair.a(), "SELECT ROW_COUNT()")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("another client has used since");
        }
    }

    @Test
    void serverSidePreparedStatementsPin() throws SQLException {
        try (SharingPair pair = sharingPair();
             PreparedStatement pa = pair.a().prepareStatement("SELECT CONCAT('a:', ?)")) {
            pa.setInt(1, -1);
            pa.executeQuery().close(); // prepared now
            pair.b().setAutoCommit(false); // b keeps a connection: not the one the statement was prepared on
            run(pair.b(), "SELECT 1");
            try (PreparedStatement pb = pair.b().prepareStatement("SELECT CONCAT('b:', ?)")) {
                for (int i = 0; i < 3; i++) {
                    pa.setInt(1, i);
                    pb.setInt(1, i);
                    try (ResultSet ra = pa.executeQuery(); ResultSet rb = pb.executeQuery()) {
                        ra.next();
                        rb.next();
                        assertThat(ra.getString(1)).isEqualTo("a:" + i);
                        assertThat(rb.getString(1)).isEqualTo("b:" + i);
                    }
                }
            }
            pair.b().setAutoCommit(true);
        }
    }

    @Test
    void aConnectionAPinnedClientLeavesIsResetBeforeReuse() throws SQLException {
        try (SharingPair pair = sharingPair()) {
            run(pair.a(), "SET @secret = 'left behind'");
            run(pair.a(), "CREATE TEMPORARY TABLE mux.leftover (v INT)");
            pair.a().close(); // its connection goes back to the pool, where b takes it next
            Connection b = pair.b();
            assertThat(one(b, "SELECT @secret")).isNull();
            assertThatThrownBy(() -> one(b, "SELECT * FROM leftover")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("doesn't exist");
        }
    }

    @Test
    void locksAndTransactionsAClientLeavesBehindEndWhenItLeaves() throws Exception {
        DB.server().execute("CREATE TABLE IF NOT EXISTS mux.locked (id INT PRIMARY KEY)",
                "INSERT IGNORE INTO mux.locked VALUES (1)");
        String[][] leftBehind = {{"LOCK TABLES mux.locked WRITE"}, {"SELECT GET_LOCK('left-behind', 0)"},
            {"BEGIN", "SELECT * FROM mux.locked WHERE id = 1 FOR UPDATE"}};
        for (String[] statements : leftBehind) {
            try (Connection leaver = client(); Connection other = client();
                 Connection direct = DriverManager.getConnection(DB.server().jdbcUrl() + "?socketTimeout=20000",
                         "root", "")) {
                for (String s : statements) {
                    run(leaver, s);
                }
                leaver.close();
                // were the connection parked in the pool, the lock would last until a client takes it over
                run(direct, "SET SESSION innodb_lock_wait_timeout = 5, SESSION lock_wait_timeout = 5");
                await().atMost(Duration.ofSeconds(12)).ignoreExceptions().untilAsserted(() -> {
                    assertThat(one(direct, "SELECT IS_FREE_LOCK('left-behind')")).isEqualTo("1");
                    run(direct, "UPDATE mux.locked SET id = 1 WHERE id = 1");
                });
                assertThat(one(other, "SELECT COUNT(*) FROM locked")).as(statements[0]).isEqualTo("1");
            }
        }
    }

    @Test
    void theBackendChecksEveryLogin() throws SQLException {
        try (Connection a = client()) {
            one(a, "SELECT 1");
            assertThatThrownBy(() -> DriverManager.getConnection(proxy.mariadbUrl("mux", ""), "app", "wrong"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("Access denied");
            assertThat(one(a, "SELECT CURRENT_USER()")).isEqualTo("app@%");
        }
    }

    @Test
    void aStatementWaitsForAFreeConnectionAndGetsAClearErrorWhenNoneComesInTime() throws Exception {
        DB.server().execute("CREATE USER 'waiter'@'%' IDENTIFIED BY 'w-pw'", "GRANT ALL ON *.* TO 'waiter'@'%'");
        String url = proxy.mariadbUrl("mux", "");
        try (Connection a = DriverManager.getConnection(url, "waiter", "w-pw");
             Connection b = DriverManager.getConnection(url, "waiter", "w-pw")) {
            run(a, "BEGIN");
            String held = one(a, "SELECT @@pseudo_thread_id");
            // the user's other connections go away: b's next statement has only a's to wait for
            try (Connection root = DriverManager.getConnection(DB.server().jdbcUrl(), "root", "");
                 Statement s = root.createStatement();
                 ResultSet rs = s.executeQuery("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'waiter'"
                         + " AND ID <> " + held)) {
                List<String> others = new ArrayList<>();
                while (rs.next()) {
                    others.add(rs.getString(1));
                }
                for (String id : others) {
                    root.createStatement().execute("KILL " + id);
                }
            }
            await().until(() -> backendConnections("waiter") == 1);

            assertThatThrownBy(() -> one(b, "SELECT 'b'")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("no backend connection of user 'waiter' became free within 2000 ms");

            var answer = CompletableFuture.supplyAsync(() -> {
                try {
                    return one(b, "SELECT 'b'");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(300);
            assertThat(answer).isNotDone();
            run(a, "COMMIT"); // a's connection goes back and b's statement runs on it
            assertThat(answer.get(5, TimeUnit.SECONDS)).isEqualTo("b");
        }
    }

    @Test
    void killNamesTheClientsOwnThreadIdNotASharedBackendConnection() throws Exception {
        try (SharingPair pair = sharingPair(); Connection killer = client();
             Connection stranger = DriverManager.getConnection(proxy.mariadbUrl("mux", CLIENT_OPTIONS), "solo",
                     "solo-pw")) {
            long aId = pair.a().unwrap(org.mariadb.jdbc.Connection.class).getThreadId();
            long bId = pair.b().unwrap(org.mariadb.jdbc.Connection.class).getThreadId();
            assertThat(aId).isNotEqualTo(bId); // they share a backend connection, not a thread id

            var sleeping = CompletableFuture.supplyAsync(() -> {
                try {
                    return one(pair.a(), "SELECT SLEEP(20)");
                } catch (SQLException e) {
                    return e.getMessage();
                }
            });
            await().until(() -> one(killer, "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                    + " WHERE INFO = 'SELECT SLEEP(20)'").equals("1"));
            run(killer, "KILL QUERY " + aId);
            assertThat(sleeping.get(5, TimeUnit.SECONDS))
                    .contains("Query execution was interrupted");
            assertThat(one(pair.b(), "SELECT 'b is fine'")).isEqualTo("b is fine");
            assertThat(one(pair.a(), "SELECT 'a goes on'")).isEqualTo("a goes on");

            assertThatThrownBy(() -> run(stranger, "KILL " + aId)).isInstanceOf(SQLException.class)
                    .hasMessageContaining("You are not owner of thread " + aId);
            assertThatThrownBy(() -> run(killer, "KILL " + (aId + 100_000))).isInstanceOf(SQLException.class)
                    .hasMessageContaining("Unknown thread id");
            run(killer, "KILL CONNECTION " + aId);
            assertThatThrownBy(() -> one(pair.a(), "SELECT 1")).isInstanceOf(SQLException.class);
            assertThat(one(pair.b(), "SELECT 'b is still fine'")).isEqualTo("b is still fine");
        }
    }

    @Test
    void mysqlConnectorQueryTimeoutsKillOnlyTheirOwnQuery() throws Exception {
        String url = proxy.mysqlUrl("mux", "useSSL=false&allowPublicKeyRetrieval=true");
        try (Connection a = DriverManager.getConnection(url, "app", "app-pw");
             Statement s = a.createStatement()) {
            s.setQueryTimeout(1);
            assertThatThrownBy(() -> s.executeQuery("SELECT SLEEP(30)").close())
                    .isInstanceOf(SQLTimeoutException.class);
            // interrupted on the server, not left running there
            try (Connection root = DriverManager.getConnection(DB.server().jdbcUrl(), "root", "")) {
                assertThat(one(root, "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                        + " WHERE INFO = 'SELECT SLEEP(30)'")).isEqualTo("0");
            }
            assertThat(one(a, "SELECT 'still usable'")).isEqualTo("still usable");
        }
    }

    @Test
    void loginsBeyondTheConnectionLimitWaitForAFreeConnection() throws Exception {
        DB.server().execute("CREATE USER 'capped'@'%' IDENTIFIED BY 'c-pw'", "GRANT ALL ON *.* TO 'capped'@'%'");
        try (TestProxy small = TestProxy.builder().backend(DB.server().address())
                .pool(new PoolConfig(0, 0, 60_000, new MultiplexingConfig(true, Set.of(), 2, 1_000))).start()) {
            String url = small.mariadbUrl("mux", CLIENT_OPTIONS);
            try (Connection a = DriverManager.getConnection(url, "capped", "c-pw");
                 Connection b = DriverManager.getConnection(url, "capped", "c-pw")) {
                run(a, "BEGIN");
                run(a, "SELECT 1");
                run(b, "BEGIN");
                run(b, "SELECT 1");
                assertThat(backendConnections("capped")).isEqualTo(2);
                assertThatThrownBy(() -> DriverManager.getConnection(url, "capped", "c-pw").close())
                        .isInstanceOf(SQLException.class)
                        .hasMessageContaining("all 2 connections to " + DB.server().address() + " are in use");

                var login = CompletableFuture.supplyAsync(() -> {
                    try (Connection c = DriverManager.getConnection(url, "capped", "c-pw")) {
                        return one(c, "SELECT CONCAT('c:', CURRENT_USER())");
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                Thread.sleep(200);
                run(a, "COMMIT"); // a's connection comes back: the waiting login takes it over
                assertThat(login.get(5, TimeUnit.SECONDS)).isEqualTo("c:capped@%");
                assertThat(one(a, "SELECT 'a again'")).isEqualTo("a again");
                assertThat(backendConnections("capped")).isEqualTo(2);
                run(b, "COMMIT");
            }
        }
    }

    private static List<Map<String, String>> admin(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + proxy.adminPort() + "/",
                "admin", "admin-pw"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            List<Map<String, String>> rows = new ArrayList<>();
            while (rs.next()) {
                Map<String, String> row = new HashMap<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.put(rs.getMetaData().getColumnLabel(i), rs.getString(i));
                }
                rows.add(row);
            }
            return rows;
        }
    }

    @Test
    void aFinishedTransactionLeavesTheClientUnpinned() throws Exception {
        DB.server().execute("CREATE USER 'txer'@'%' IDENTIFIED BY 'tx-pw'", "GRANT ALL ON *.* TO 'txer'@'%'");
        try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("mux", CLIENT_OPTIONS), "txer", "tx-pw")) {
            run(c, "INSERT INTO t (v) VALUES ('tx')");
            for (String sql : List.of("BEGIN", "UPDATE t SET v = 'tx2' WHERE v = 'tx'", "SELECT v FROM t", "COMMIT")) {
                run(c, sql);
            }
            assertThat(admin("SELECT * FROM connections").stream().filter(r -> "txer".equals(r.get("user"))))
                    .extracting(r -> r.get("pinned")).containsExactly("no");
        }
    }

    @Test
    void theAdminInterfaceAndMetricsShowPoolsPinsAndTheMultiplexingRatio() throws Exception {
        DB.server().execute("CREATE USER 'watched'@'%' IDENTIFIED BY 'w-pw'", "GRANT ALL ON *.* TO 'watched'@'%'");
        String url = proxy.mariadbUrl("mux", CLIENT_OPTIONS);
        List<Connection> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                clients.add(DriverManager.getConnection(url, "watched", "w-pw"));
                one(clients.get(i), "SELECT 1");
            }
            run(clients.get(0), "SET @pinned = 1");
            var pool = admin("SELECT * FROM pools").stream().filter(r -> "watched".equals(r.get("user"))).toList();
            assertThat(pool).hasSize(1);
            assertThat(pool.get(0).get("multiplexed_clients")).isEqualTo("6");
            assertThat(Integer.parseInt(pool.get(0).get("in_use"))).isEqualTo(1); // the pinned client's
            assertThat(Integer.parseInt(pool.get(0).get("idle"))).isBetween(1, 5);
            var rows = admin("SELECT * FROM connections").stream().filter(r -> "watched".equals(r.get("user")))
                    .toList();
            assertThat(rows).extracting(r -> r.get("pinned")).containsOnly("no", "user_variable")
                    .filteredOn("user_variable"::equals).hasSize(1);

            String metrics = REGISTRY.scrape();
            assertThat(metrics).containsPattern(
                    "mysqlproxy_multiplexing_pins_total\\{listener=\"default\",reason=\"user_variable\",?} [1-9]");
            assertThat(metrics).containsPattern(
                    "mysqlproxy_multiplexing_borrows_total\\{listener=\"default\",result=\"hit\",?} [1-9]");
            assertThat(metrics).containsPattern(
                    "mysqlproxy_multiplexing_ratio\\{backend=\"[^\"]+\",listener=\"default\",?} (0\\.[1-9]|[1-9])");
        } finally {
            for (Connection c : clients) {
                c.close();
            }
        }
    }

    @Test
    void oldConnectionsAreClosedButAUsersLastOneIsKeptAndLongIdleOnesArePinged() throws Exception {
        DB.server().execute("CREATE USER 'aged'@'%' IDENTIFIED BY 'a-pw'", "GRANT ALL ON *.* TO 'aged'@'%'");
        var registry = new PrometheusMeterRegistry(
                PrometheusConfig.DEFAULT);
        try (TestProxy aging = TestProxy.builder().backend(DB.server().address()).registry(registry)
                .pool(new PoolConfig(0, 0, 60_000, 200, 1, new MultiplexingConfig(true, Set.of(), 20, 1_000)))
                .start()) {
            String url = aging.mariadbUrl("mux", CLIENT_OPTIONS);
            try (Connection a = DriverManager.getConnection(url, "aged", "a-pw");
                 Connection b = DriverManager.getConnection(url, "aged", "a-pw")) {
                assertThat(backendConnections("aged")).isEqualTo(2);
                Thread.sleep(300); // both connections are older than the maximum age now
                double before = registry.get("mysqlproxy.multiplexing.replays").functionCounter().count();
                for (int i = 0; i < 3; i++) {
                    Thread.sleep(5); // idle for longer than the 1 ms after which a connection is pinged
                    assertThat(one(a, "SELECT 'a'")).isEqualTo("a");
                    Thread.sleep(5);
                    assertThat(one(b, "SELECT 'b'")).isEqualTo("b");
                }
                await().until(() -> backendConnections("aged") == 1); // the last one stays: no password to open one
                double replays = registry.get("mysqlproxy.multiplexing.replays").functionCounter().count();
                assertThat(replays - before).as("a COM_PING before each use of a connection idle for over 1 ms")
                        .isGreaterThanOrEqualTo(6);
            }
        }
    }

    @Test
    void localInfileLongStatementsAndMultiStatementsWorkMultiplexed(@TempDir Path tmp)
            throws Exception {
        Path file = tmp.resolve("rows.csv");
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            rows.append("file-").append(i).append('\n');
        }
        Files.writeString(file, rows);
        String url = proxy.mariadbUrl("mux", CLIENT_OPTIONS + "&allowLocalInfile=true&allowMultiQueries=true");
        try (Connection a = DriverManager.getConnection(url, "app", "app-pw");
             Connection b = DriverManager.getConnection(url, "app", "app-pw");
             Statement s = a.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS mux.loaded (v VARCHAR(64))");
            assertThat(s.executeUpdate("LOAD DATA LOCAL INFILE '" + file + "' INTO TABLE mux.loaded")).isEqualTo(3000);
            assertThat(one(b, "SELECT COUNT(*) FROM mux.loaded")).isEqualTo("3000");

            // a statement longer than what is read for session state (64 KiB) pins, and works
            String big = "x".repeat(200_000);
            assertThat(one(a, "SELECT LENGTH('" + big + "')")).isEqualTo("200000");
            assertThat(one(b, "SELECT 'b after a long one'")).isEqualTo("b after a long one");

            // every statement of a multi-statement text is read: the user variable in the second one pins
            try (Connection c = DriverManager.getConnection(url, "app", "app-pw");
                 Statement m = c.createStatement()) {
                m.execute("SELECT 1; SET @multi = 'kept'");
                assertThat(one(b, "SELECT @multi")).isNull();
                assertThat(one(c, "SELECT @multi")).isEqualTo("kept");
            }
        }
    }

    @Test
    void theMariadbCommandLineClientWorksMultiplexed() {
        Cli.Result r = Cli.run("mariadb", proxy.port(), "app", "app-pw",
                "USE mux;\nSET time_zone = '+03:00';\nSELECT @@time_zone, DATABASE();\nSELECT COUNT(*) > -1 FROM t;\n",
                "--batch", "--skip-column-names");
        assertThat(r.output()).contains("+03:00\tmux").contains("1");
        assertThat(r.exitCode()).isZero();
    }

    @Test
    void theIdleTimeoutClosesIdleConnectionsButNotAUsersLastOneWhileItHasClients() throws Exception {
        DB.server().execute("CREATE USER 'sleepy'@'%' IDENTIFIED BY 's-pw'", "GRANT ALL ON *.* TO 'sleepy'@'%'",
                "CREATE USER 'gone'@'%' IDENTIFIED BY 'g-pw'", "GRANT ALL ON *.* TO 'gone'@'%'");
        try (TestProxy quick = TestProxy.builder().backend(DB.server().address())
                .pool(new PoolConfig(0, 0, 200, new MultiplexingConfig(true, Set.of(), 20, 1_000))).start()) {
            String url = quick.mariadbUrl("mux", CLIENT_OPTIONS);
            try (Connection a = DriverManager.getConnection(url, "sleepy", "s-pw");
                 Connection b = DriverManager.getConnection(url, "sleepy", "s-pw")) {
                try (Connection c = DriverManager.getConnection(url, "gone", "g-pw")) {
                    one(c, "SELECT 1");
                }
                assertThat(backendConnections("sleepy")).isEqualTo(2);
                // idle for longer than the timeout: one of sleepy's two goes, the last stays; gone's goes
                await().atMost(Duration.ofSeconds(5)).until(() -> backendConnections("sleepy") == 1
                        && backendConnections("gone") == 0);
                Thread.sleep(500);
                assertThat(backendConnections("sleepy")).isEqualTo(1);
                assertThat(one(a, "SELECT 'a'")).isEqualTo("a");
                assertThat(one(b, "SELECT 'b'")).isEqualTo("b");
            }
        }
    }
}
