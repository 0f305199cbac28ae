package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.backend.CausalWait;
import io.mysqlproxy.config.RoutingConfig;
import io.mysqlproxy.config.RoutingConfig.CausalReads;
import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.MariaDbServer;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Causal reads over a real primary and a replica that applies everything two seconds late (MASTER_DELAY): a read
 * right after a write misses it without causal reads; with {@code local} every client reads its own write (the
 * replica waits until it has it, or the primary answers once the timeout passed); with {@code global} a read sees
 * what anyone had committed on the primary when it came.
 */
class CausalReadsTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension(0);
    private static final int DELAY_SECONDS = 2;
    private static final AtomicInteger IDS = new AtomicInteger();
    private static MariaDbServer primary;
    private static MariaDbServer replica;

    @BeforeAll
    static void replicateLate() {
        MariaDbServer[] pair = DB.startPrimaryAndReplica();
        primary = pair[0];
        replica = pair[1];
        primary.execute("CREATE USER 'app'@'%' IDENTIFIED BY 'app'", "GRANT ALL ON *.* TO 'app'@'%'",
                "CREATE DATABASE shop", "CREATE TABLE shop.orders (id INT PRIMARY KEY)");
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .untilAsserted(() -> replica.execute("SELECT 1 FROM shop.orders"));
        replica.execute("STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY=" + DELAY_SECONDS, "START SLAVE");
    }

    private static TestProxy proxy(CausalReads causal, long timeoutMillis) {
        return TestProxy.builder().backend(primary.address()).readOnlyBackend(replica.address())
                .routing(new RoutingConfig(RoutingConfig.Mode.READ_WRITE_SPLIT, -1, causal, timeoutMillis))
                .admin("admin", "admin-pw", null, 5).start();
    }

    private static String admin(TestProxy proxy, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + proxy.adminPort() + "/",
                "admin", "admin-pw"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).as(sql).isTrue();
            return rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3);
        }
    }

    /** Inserts a new order through {@code s} and reads it back at once: "rows found, port of the server that answered". */
    private static String writeThenRead(Statement s) throws SQLException {
        int id = IDS.incrementAndGet();
        assertThat(s.executeUpdate("INSERT INTO orders VALUES (" + id + ")")).isEqualTo(1);
        return read(s, id);
    }

    private static String read(Statement s, int id) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT COUNT(*), @@port FROM orders WHERE id = " + id)) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(1) + " " + rs.getInt(2);
        }
    }

    private static String writeThenReadPrepared(Connection c) throws SQLException {
        int id = IDS.incrementAndGet();
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO orders VALUES (?)");
             PreparedStatement select = c.prepareStatement("SELECT COUNT(*), @@port FROM orders WHERE id = ?")) {
            insert.setInt(1, id);
            assertThat(insert.executeUpdate()).isEqualTo(1);
            select.setInt(1, id);
            try (ResultSet rs = select.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return rs.getLong(1) + " " + rs.getInt(2);
            }
        }
    }

    private static long waits(TestProxy proxy, CausalWait outcome) {
        return replicaBackend(proxy).causalWaits(outcome);
    }

    private static Backend replicaBackend(TestProxy proxy) {
        return proxy.server().listeners().get(0).backends().get(1);
    }

    private static double waitMetric(TestProxy proxy, CausalWait outcome) {
        return proxy.server().metrics().registry().get("mysqlproxy.causal.reads.waits")
                .tag("backend", replica.address()).tag("outcome", outcome.label()).functionCounter().count();
    }

    @Test
    void withoutCausalReadsAReadRightAfterAWriteMissesIt() throws SQLException {
        try (TestProxy proxy = proxy(CausalReads.NONE, 10_000);
             Connection c = DriverManager.getConnection(proxy.mariadbUrl("shop", ""), "app", "app");
             Statement s = c.createStatement()) {
            assertThat(writeThenRead(s)).isEqualTo("0 " + replica.port());
            assertThat(waits(proxy, CausalWait.CAUGHT_UP)).isZero();
        }
        for (String options : new String[] {"useServerPrepStmts=true", "useServerPrepStmts=true&cachePrepStmts=false"}) {
            try (TestProxy proxy = proxy(CausalReads.NONE, 10_000);
                 Connection c = DriverManager.getConnection(proxy.mysqlUrl("shop", options), "app", "app")) {
                assertThat(writeThenReadPrepared(c)).as(options).isEqualTo("0 " + replica.port());
            }
        }
    }

    @Test
    void localCausalReadsLetEveryClientReadItsOwnWriteFromTheReplica() throws SQLException {
        try (TestProxy proxy = proxy(CausalReads.LOCAL, 10_000)) {
            String fromReplica = "1 " + replica.port();
            try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("shop", ""), "app", "app");
                 Statement s = c.createStatement()) {
                int before = IDS.get();
                assertThat(read(s, before)).endsWith(" " + replica.port()); // no write yet: no wait
                assertThat(waits(proxy, CausalWait.CAUGHT_UP)).isZero();
                assertThat(writeThenRead(s)).isEqualTo(fromReplica);
                assertThat(waits(proxy, CausalWait.CAUGHT_UP)).isEqualTo(1);
                assertThat(read(s, IDS.get())).isEqualTo(fromReplica); // caught up for this client: no second wait
                assertThat(waits(proxy, CausalWait.CAUGHT_UP)).isEqualTo(1);
            }
            try (Connection c = DriverManager.getConnection(proxy.mysqlUrl("shop", ""), "app", "app");
                 Statement s = c.createStatement()) {
                assertThat(writeThenRead(s)).isEqualTo(fromReplica);
            }
            // server-side prepared statements: the replica runs the read once it caught up
            for (String url : new String[] {proxy.mariadbUrl("shop", "useServerPrepStmts=true"),
                    proxy.mysqlUrl("shop", "useServerPrepStmts=true")}) {
                try (Connection c = DriverManager.getConnection(url, "app", "app")) {
                    assertThat(writeThenReadPrepared(c)).as(url).isEqualTo(fromReplica);
                }
            }
            int id = IDS.incrementAndGet();
            Cli.Result cli = Cli.run("mariadb", proxy.port(), "app", "app", null, "-N", "-B", "shop", "-e",
                    "INSERT INTO orders VALUES (" + id + "); SELECT COUNT(*), @@port FROM orders WHERE id = " + id);
            assertThat(cli.exitCode()).as(cli.output()).isZero();
            assertThat(cli.output().trim()).isEqualTo("1\t" + replica.port());
            assertThat(waits(proxy, CausalWait.CAUGHT_UP)).isEqualTo(5);
            assertThat(waitMetric(proxy, CausalWait.CAUGHT_UP)).isEqualTo(5);
            assertThat(waits(proxy, CausalWait.TIMED_OUT)).isZero();
            assertThat(replicaBackend(proxy).causalWaitSeconds()).isGreaterThan(0);
        }
    }

    @Test
    void aReplicaThatDoesNotCatchUpInTimeLeavesTheReadToThePrimary() throws SQLException {
        try (TestProxy proxy = proxy(CausalReads.LOCAL, 200)) {
            try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("shop", ""), "app", "app");
                 Statement s = c.createStatement()) {
                assertThat(writeThenRead(s)).isEqualTo("1 " + primary.port());
            }
            // the read is counted where it ran
            Backend primaryBackend = proxy.server().listeners().get(0).backends().get(0);
            assertThat(replicaBackend(proxy).routedStatements(true)).isZero();
            assertThat(primaryBackend.routedStatements(true)).isEqualTo(1);
            int id = IDS.incrementAndGet();
            Cli.Result cli = Cli.run("mariadb", proxy.port(), "app", "app", null, "-N", "-B", "shop", "-e",
                    "INSERT INTO orders VALUES (" + id + "); SELECT COUNT(*), @@port FROM orders WHERE id = " + id);
            assertThat(cli.output().trim()).isEqualTo("1\t" + primary.port());
            assertThat(waits(proxy, CausalWait.TIMED_OUT)).isEqualTo(2);
            assertThat(waitMetric(proxy, CausalWait.TIMED_OUT)).isEqualTo(2);
            assertThat(admin(proxy, "SELECT causal_waits, causal_timeouts, causal_failures FROM backends"
                    + " WHERE address = '" + replica.address() + "'")).isEqualTo("0 2 0");
            assertThat(admin(proxy, "SELECT routing, causal_reads, causal_reads_timeout_s FROM listeners"))
                    .isEqualTo("read-write-split local 0.2");
            assertThat(admin(proxy, "SELECT transaction_replay, routing, causal_reads FROM listeners"))
                    .isEqualTo("off read-write-split local");
            assertThat(admin(proxy, "SELECT read_retries, causal_waits, causal_failures FROM backends"
                    + " WHERE address = '" + replica.address() + "'")).isEqualTo("0 0 0");
        }
    }

    @Test
    void aWaitThatFailsOnTheReplicaLeavesTheReadToThePrimary() throws Exception {
        try (TestProxy proxy = proxy(CausalReads.LOCAL, 30_000);
             Connection c = DriverManager.getConnection(proxy.mariadbUrl("shop", ""), "app", "app");
             Statement s = c.createStatement()) {
            int id = IDS.incrementAndGet();
            assertThat(s.executeUpdate("INSERT INTO orders VALUES (" + id + ")")).isEqualTo(1);
            CompletableFuture<String> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return read(s, id);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            // the DBA kills the proxy's wait on the replica
            await().atMost(Duration.ofSeconds(5)).until(() -> waitsOnReplica() == 1);
            replica.execute("SET @t = (SELECT ID FROM information_schema.PROCESSLIST"
                    + " WHERE INFO LIKE 'SELECT MASTER_GTID_WAIT%')", "KILL QUERY @t");
            assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo("1 " + primary.port());
            assertThat(waits(proxy, CausalWait.FAILED)).isEqualTo(1);
            // the replica did not catch up for this client: the next read waits again, and it gets there
            assertThat(read(s, id)).isEqualTo("1 " + replica.port());
            assertThat(waits(proxy, CausalWait.CAUGHT_UP)).isEqualTo(1);
        }
    }

    private static long waitsOnReplica() throws SQLException {
        try (Connection c = DriverManager.getConnection(replica.jdbcUrl(), "root", "");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM"
                     + " information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT MASTER_GTID_WAIT%'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void globalCausalReadsSeeWhatAnyoneCommittedBeforeTheReadCame() throws SQLException {
        int id = IDS.incrementAndGet();
        primary.execute("INSERT INTO shop.orders VALUES (" + id + ")"); // another client, not even through the proxy
        try (TestProxy local = proxy(CausalReads.LOCAL, 10_000);
             Connection c = DriverManager.getConnection(local.mariadbUrl("shop", ""), "app", "app");
             Statement s = c.createStatement()) {
            assertThat(read(s, id)).isEqualTo("0 " + replica.port()); // this client wrote nothing: no wait
        }
        try (TestProxy global = proxy(CausalReads.GLOBAL, 10_000)) {
            try (Connection c = DriverManager.getConnection(global.mariadbUrl("shop", ""), "app", "app");
                 Statement s = c.createStatement()) {
                assertThat(read(s, id)).isEqualTo("1 " + replica.port());
            }
            int next = IDS.incrementAndGet();
            primary.execute("INSERT INTO shop.orders VALUES (" + next + ")");
            Cli.Result cli = Cli.run("mariadb", global.port(), "app", "app", null, "-N", "-B", "shop", "-e",
                    "SELECT COUNT(*), @@port FROM orders WHERE id = " + next);
            assertThat(cli.output().trim()).isEqualTo("1\t" + replica.port());
        }
    }
}
