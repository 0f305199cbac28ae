package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.backend.BackendRole;
import io.mysqlproxy.config.HealthCheck;
import io.mysqlproxy.config.RoutingConfig;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
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

    /**
     * A read whose replica dies before answering runs once more on the primary, for JDBC and the mariadb CLI alike:
     * the client gets its answer, not a lost connection.
     */
    @Test
    void aReadWhoseReplicaDiesBeforeAnsweringRunsAgainOnThePrimary() throws Exception {
        String jdbc = readWhileTheReplicaDies(proxy -> {
            try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "app", "app");
                 Statement s = c.createStatement()) {
                answeredBy(s); // logged in, the next statement is the one that sleeps
                try (ResultSet rs = s.executeQuery("SELECT SLEEP(1), @@port")) {
                    rs.next();
                    return rs.getInt(1) + " " + rs.getInt(2);
                }
            }
        });
        assertThat(jdbc).isEqualTo("0 " + lastPrimary.port());
        String cli = readWhileTheReplicaDies(proxy -> {
            Cli.Result r = Cli.run("mariadb", proxy.port(), "app", "app", null, "-N", "-B", "-e",
                    "SELECT SLEEP(1), @@port");
            assertThat(r.exitCode()).as(r.output()).isZero();
            return r.output().trim().replace('\t', ' ');
        });
        assertThat(cli).isEqualTo("0 " + lastPrimary.port());
    }

    private interface Read {
        String run(TestProxy proxy) throws Exception;
    }

    private MariaDbServer lastPrimary;

    /** Runs {@code read} through a splitting proxy and kills the replica while the read sleeps there. */
    private String readWhileTheReplicaDies(Read read) throws Exception {
        MariaDbServer[] pair = DB.startPrimaryAndReplica();
        MariaDbServer primary = pair[0];
        MariaDbServer replica = pair[1];
        lastPrimary = primary;
        primary.execute("CREATE USER 'app'@'%' IDENTIFIED BY 'app'", "GRANT ALL ON *.* TO 'app'@'%'");
        await().atMost(Duration.ofSeconds(10)).until(() -> count(replica, "mysql.user WHERE user = 'app'") == 1);
        try (TestProxy proxy = TestProxy.builder().backend(primary.address()).readOnlyBackend(replica.address())
                .routing(new RoutingConfig(RoutingConfig.Mode.READ_WRITE_SPLIT, -1)).start()) {
            CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> {
                try {
                    return read.run(proxy);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> count(replica, "information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP%'") == 1);
            replica.kill();
            String answered = answer.get(20, TimeUnit.SECONDS);
            assertThat(proxy.server().listeners().get(0).backends().get(1).readsRetried()).isEqualTo(1);
            return answered;
        }
    }

    /** A primary and a replica whose roles the proxy reads from read_only, with a shop.orders table of two rows. */
    private record Rig(MariaDbServer primary, MariaDbServer replica, TestProxy proxy) implements AutoCloseable {
        static Rig start() throws Exception {
            return start(1 << 20);
        }

        static Rig start(long replayMaxBytes) throws Exception {
            MariaDbServer[] pair = DB.startPrimaryAndReplica();
            MariaDbServer primary = pair[0];
            MariaDbServer replica = pair[1];
            primary.execute("CREATE USER 'monitor'@'%' IDENTIFIED BY 'mon'",
                    "GRANT SLAVE MONITOR ON *.* TO 'monitor'@'%'", "CREATE USER 'app'@'%' IDENTIFIED BY 'app'",
                    "GRANT ALL ON *.* TO 'app'@'%'", "CREATE DATABASE shop",
                    "CREATE TABLE shop.orders (id INT PRIMARY KEY)", "INSERT INTO shop.orders VALUES (100), (101)");
            await().atMost(Duration.ofSeconds(10)).until(() -> count(replica, "shop.orders") == 2);
            TestProxy proxy = TestProxy.builder().autoBackend(primary.address()).autoBackend(replica.address())
                    .health(new HealthCheck(100, 1_000, 1, 1, "monitor", "mon", "SELECT 1"))
                    .routing(new RoutingConfig(RoutingConfig.Mode.READ_WRITE_SPLIT, -1,
                            RoutingConfig.CausalReads.NONE, 10_000,
                            new RoutingConfig.TransactionReplay(true, replayMaxBytes, 20_000)))
                    .start();
            Backend primaryBackend = proxy.server().listeners().get(0).backends().get(0);
            await().atMost(Duration.ofSeconds(10)).until(() -> primaryBackend.role() == BackendRole.READ_WRITE);
            return new Rig(primary, replica, proxy);
        }

        /** The primary dies (SIGKILL) and an external tool promotes the replica. */
        void failOver() {
            primary.kill();
            replica.execute("STOP SLAVE", "RESET SLAVE ALL", "SET GLOBAL read_only = 0");
        }

        double replays(String result) {
            return proxy.server().metrics().registry().get("mysqlproxy.transaction.replays").tag("result", result)
                    .counter().count();
        }

        @Override
        public void close() {
            proxy.close();
        }
    }

    @Test
    void aTransactionCutByThePrimarysDeathRunsAgainOnThePromotedReplica() throws Exception {
        try (Rig rig = Rig.start();
             Connection c = DriverManager.getConnection(rig.proxy().mariadbUrl("shop", ""), "app", "app");
             Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            assertThat(s.executeUpdate("INSERT INTO orders VALUES (1)")).isEqualTo(1);
            assertThat(count(s, "orders")).isEqualTo(3);
            // the primary dies while it runs a statement of the transaction, before answering it
            CompletableFuture<Long> running = CompletableFuture.supplyAsync(() -> {
                try {
                    return count(s, "orders WHERE SLEEP(0.5) = 0");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> count(rig.primary(),
                    "information_schema.PROCESSLIST WHERE INFO LIKE '%SLEEP(0.5)%' AND USER = 'app'") == 1);
            rig.failOver();
            // the client goes on as if nothing happened: its transaction runs again on the new primary, then the
            // statement that was cut
            assertThat(running.get(20, TimeUnit.SECONDS)).isEqualTo(3);
            assertThat(s.executeUpdate("INSERT INTO orders VALUES (2)")).isEqualTo(1);
            assertThat(count(s, "orders")).isEqualTo(4);
            c.commit();
            assertThat(count(s, "orders WHERE id IN (1, 2)")).isEqualTo(2);
            assertThat(count(rig.replica(), "shop.orders")).isEqualTo(4);
            assertThat(rig.replays("succeeded")).isEqualTo(1);
        }
    }

    /**
     * The primary dies while a statement that commits runs (here DDL, which commits the UPDATE before it): the
     * UPDATE may have reached the new primary already, so the transaction is not run again there (it would count
     * twice); the client loses its connection, as it would directly, and the row is counted once.
     */
    @Test
    void aTransactionCutWhileItCommitsIsNotRunTwice() throws Exception {
        try (Rig rig = Rig.start()) {
            rig.primary().execute("CREATE TABLE shop.counter (n INT)", "INSERT INTO shop.counter VALUES (0)");
            await().atMost(Duration.ofSeconds(10)).until(() -> count(rig.replica(), "shop.counter") == 1);
            try (Connection c = DriverManager.getConnection(rig.proxy().mariadbUrl("shop", ""), "app", "app");
                 Statement s = c.createStatement()) {
                c.setAutoCommit(false);
                assertThat(s.executeUpdate("UPDATE counter SET n = n + 1")).isEqualTo(1);
                CompletableFuture<Boolean> committing = CompletableFuture.supplyAsync(() -> {
                    try {
                        return s.execute("CREATE TABLE made AS SELECT SLEEP(1) AS s");
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                await().atMost(Duration.ofSeconds(10)).until(() -> count(rig.primary(),
                        "information_schema.PROCESSLIST WHERE INFO LIKE '%SLEEP(1)%' AND USER = 'app'") == 1);
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> count(rig.replica(), "shop.counter WHERE n = 1") == 1);
                rig.failOver();
                assertThatThrownBy(() -> committing.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(
                        IllegalStateException.class);
            }
            assertThat(count(rig.replica(), "shop.counter WHERE n = 1")).isEqualTo(1);
            assertThat(rig.replays("started")).isZero();
        }
    }

    @Test
    void theMariadbCliGoesOnWithItsTransactionAfterAFailover() throws Exception {
        try (Rig rig = Rig.start()) {
            Process cli = new ProcessBuilder("mariadb", "--no-defaults", "--protocol=TCP", "-h127.0.0.1",
                    "-P" + rig.proxy().port(), "-uapp", "-papp", "-N", "-B", "--unbuffered", "shop").redirectErrorStream(true).start();
            try (var in = cli.getOutputStream()) {
                in.write("BEGIN; INSERT INTO orders VALUES (1); SELECT COUNT(*) FROM orders;\n".getBytes());
                in.flush();
                byte[] first = new byte[2];
                assertThat(cli.getInputStream().readNBytes(first, 0, 2)).isEqualTo(2);
                assertThat(new String(first)).isEqualTo("3\n");
                rig.failOver();
                in.write("INSERT INTO orders VALUES (2); COMMIT; SELECT COUNT(*) FROM orders;\n".getBytes());
            }
            assertThat(cli.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String rest = new String(cli.getInputStream().readAllBytes()).trim();
            assertThat(rest).isEqualTo("4");
            assertThat(cli.exitValue()).isZero();
            assertThat(count(rig.replica(), "shop.orders WHERE id IN (1, 2)")).isEqualTo(2);
        }
    }

    @Test
    void aReplayedTransactionThatAnswersOtherwiseEndsWithAnError() throws Exception {
        try (Rig rig = Rig.start()) {
            // the replica misses a row the primary has: the replayed count differs
            rig.replica().execute("STOP SLAVE");
            rig.primary().execute("INSERT INTO shop.orders VALUES (102)");
            try (Connection c = DriverManager.getConnection(rig.proxy().mariadbUrl("shop", ""), "app", "app");
                 Statement s = c.createStatement()) {
                c.setAutoCommit(false);
                assertThat(count(s, "orders")).isEqualTo(3);
                assertThat(s.executeUpdate("INSERT INTO orders VALUES (1)")).isEqualTo(1);
                rig.failOver();
                SQLException e = catchThrowableOfType(SQLException.class,
                        () -> s.executeUpdate("INSERT INTO orders VALUES (2)"));
                assertThat(e.getErrorCode()).as(e.toString()).isEqualTo(1213);
                assertThat(e.getMessage()).contains("could not be replayed").contains("answered otherwise");
            }
            assertThat(count(rig.replica(), "shop.orders WHERE id IN (1, 2)")).isZero();
            assertThat(rig.replays("failed")).isEqualTo(1);
        }
    }

    @Test
    void aTransactionLongerThanTheReplayLimitEndsWithTheConnection() throws Exception {
        try (Rig rig = Rig.start(64);
             Connection c = DriverManager.getConnection(rig.proxy().mariadbUrl("shop", ""), "app", "app");
             Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (int id = 1; id <= 3; id++) {
                assertThat(s.executeUpdate("INSERT INTO orders VALUES (" + id + ")")).isEqualTo(1);
            }
            rig.failOver();
            assertThatThrownBy(() -> s.executeUpdate("INSERT INTO orders VALUES (4)"))
                    .isInstanceOf(SQLException.class);
            assertThat(c.isValid(1)).isFalse();
            assertThat(rig.replays("started")).isZero();
        }
    }

    private static long count(Statement s, String from) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + from)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long count(MariaDbServer server, String from) throws SQLException {
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(), "root", "");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + from)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
