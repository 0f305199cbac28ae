package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.config.HealthCheck;
import io.mysqlproxy.config.MultiplexingConfig;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.config.RoutingConfig;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.MariaDbServer;
import io.mysqlproxy.testing.TestProxy;
import io.netty.channel.EventLoop;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Splitting without multiplexing (multiplexing off, as by default, or a user excluded from it): each client keeps
 * the two connections it logged in with, one to the primary and one to its replica, for as long as it is connected,
 * and its statements go to one or the other.
 */
class SplittingWithoutMultiplexingTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension(2);

    @BeforeAll
    static void users() {
        for (int i = 0; i < 2; i++) {
            DB.server(i).execute("CREATE USER 'app'@'%' IDENTIFIED BY 'app'", "GRANT ALL ON *.* TO 'app'@'%'",
                    "CREATE USER 'solo'@'%' IDENTIFIED BY 'solo'", "GRANT ALL ON *.* TO 'solo'@'%'",
                    "CREATE DATABASE shop", "CREATE TABLE shop.orders (id INT)");
        }
    }

    private static long connectionsOf(MariaDbServer server, String user) throws SQLException {
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(), "root", "");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                     "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '" + user + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String port(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Two clients, each writing and reading: two connections of the user on each server, one per client. */
    private static void eachClientKeepsOneConnectionPerServer(TestProxy proxy, String user) throws SQLException {
        String primary = String.valueOf(DB.server(0).port());
        String replica = String.valueOf(DB.server(1).port());
        try (Connection a = DriverManager.getConnection(proxy.mariadbUrl("shop", ""), user, user);
             Connection b = DriverManager.getConnection(proxy.mariadbUrl("shop", ""), user, user);
             Statement sa = a.createStatement(); Statement sb = b.createStatement()) {
            for (int i = 0; i < 5; i++) {
                for (Statement s : new Statement[] {sa, sb}) {
                    assertThat(s.executeUpdate("INSERT INTO orders VALUES (" + i + ")")).isEqualTo(1);
                    // ROW_COUNT() reads the previous statement's connection, which the client kept
                    assertThat(port(s, "SELECT ROW_COUNT()")).isEqualTo("1");
                    assertThat(port(s, "SELECT @@port")).isEqualTo(replica);
                    assertThat(port(s, "SELECT @@port FOR UPDATE")).isEqualTo(primary);
                }
            }
            assertThat(connectionsOf(DB.server(0), user)).isEqualTo(2);
            assertThat(connectionsOf(DB.server(1), user)).isEqualTo(2);
            // between their statements, none of them waits in a pool for another client: each is its client's
            Listener listener = proxy.server().listeners().get(0);
            for (Backend backend : listener.backends()) {
                assertThat(listener.pooledConnections(backend)).as(backend.address().toString()).isZero();
            }
        }
    }

    @Test
    void withMultiplexingOffEachClientKeepsItsConnections() throws SQLException {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server(0).address())
                .readOnlyBackend(DB.server(1).address())
                .routing(new RoutingConfig(RoutingConfig.Mode.READ_WRITE_SPLIT, -1)).start()) {
            eachClientKeepsOneConnectionPerServer(proxy, "app");
        }
    }

    /** A connection the client keeps is not pinged before its statements: it was in use a moment ago. */
    @Test
    void keptConnectionsGoStraightToTheStatement() throws Exception {
        PoolConfig pingAfterTwoSeconds = new PoolConfig(0, 0, 60_000, 0, 2_000, MultiplexingConfig.DISABLED);
        try (TestProxy proxy = TestProxy.builder().backend(DB.server(0).address())
                .readOnlyBackend(DB.server(1).address()).pool(pingAfterTwoSeconds)
                .routing(new RoutingConfig(RoutingConfig.Mode.READ_WRITE_SPLIT, -1)).start();
             Connection c = DriverManager.getConnection(proxy.mariadbUrl("shop", ""), "app", "app");
             Statement s = c.createStatement()) {
            Thread.sleep(2_500); // both connections have been idle longer than the ping interval since the login
            port(s, "SELECT @@port");
            port(s, "SELECT @@port FOR UPDATE");
            double before = replays(proxy);
            for (int i = 0; i < 20; i++) {
                assertThat(port(s, "SELECT @@port")).isEqualTo(String.valueOf(DB.server(1).port()));
                assertThat(port(s, "SELECT @@port FOR UPDATE")).isEqualTo(String.valueOf(DB.server(0).port()));
            }
            assertThat(replays(proxy)).isEqualTo(before);
        }
    }

    private static double replays(TestProxy proxy) {
        return proxy.server().metrics().registry().get("mysqlproxy.multiplexing.replays").functionCounter().count();
    }

    @Test
    void aUserExcludedFromMultiplexingIsSplitOnConnectionsOfItsOwn() throws SQLException {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server(0).address())
                .readOnlyBackend(DB.server(1).address())
                .routing(new RoutingConfig(RoutingConfig.Mode.READ_WRITE_SPLIT, -1))
                .pool(new PoolConfig(0, 0, 60_000, new MultiplexingConfig(true, Set.of("solo"), 200, 10_000)))
                .start()) {
            eachClientKeepsOneConnectionPerServer(proxy, "solo");
        }
    }

    /**
     * The replica connection a MariaDB Connector/J client left in the pool was negotiated with other capabilities
     * than MySQL Connector/J's. When that connection is still on its way to the new client's thread as the primary
     * accepts the client, it must not become the client's replica connection (it would answer in the other
     * driver's framing): the client logs into the replica on a fresh one. The pooled connection's thread is held
     * up so that its move comes last.
     */
    @Test
    void aPooledReplicaConnectionThatDoesNotFitTheClientIsNotItsSecondLoginEvenWhenItArrivesLate() throws Exception {
        HealthCheck rarely = new HealthCheck(60_000, 5_000, 2, 1, null, null, "SELECT 1");
        String replica = String.valueOf(DB.server(1).port());
        boolean movedLate = false;
        for (int attempt = 0; attempt < 8 && !movedLate; attempt++) {
            try (TestProxy proxy = TestProxy.builder().backend(DB.server(0).address())
                    .readOnlyBackend(DB.server(1).address()).health(rarely)
                    .routing(new RoutingConfig(RoutingConfig.Mode.READ_WRITE_SPLIT, -1)).start()) {
                Listener listener = proxy.server().listeners().get(0);
                Backend replicaBackend = listener.backends().get(1);
                try (Connection a = DriverManager.getConnection(proxy.mariadbUrl("shop", ""), "app", "app");
                     Statement s = a.createStatement()) {
                    assertThat(port(s, "SELECT @@port")).isEqualTo(replica);
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> listener.pooledConnections(replicaBackend) == 1);
                IdlePool replicaPool = listener.pool(replicaBackend);
                PooledConnection left = replicaPool.take(null);
                assertThat(replicaPool.offer(left)).isTrue();
                EventLoop heldUp = left.channel().eventLoop();
                CountDownLatch released = new CountDownLatch(1);
                heldUp.execute(() -> {
                    try {
                        Thread.sleep(1_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    released.countDown();
                });
                try (Connection b = DriverManager.getConnection(proxy.mysqlUrl("shop", ""), "app", "app");
                     Statement s = b.createStatement()) {
                    assertThat(port(s, "SELECT @@port")).isEqualTo(replica);
                    assertThat(port(s, "SELECT @@port FOR UPDATE")).isEqualTo(String.valueOf(DB.server(0).port()));
                }
                assertThat(released.await(5, TimeUnit.SECONDS)).isTrue();
                // the login took the pooled connection to its own thread, which is not the held-up one
                movedLate = left.channel().eventLoop() != heldUp;
                if (!movedLate) {
                    // the client landed on the held-up thread: one more connection shifts the next one's thread
                    new Socket("127.0.0.1", proxy.port()).close();
                }
            }
        }
        assertThat(movedLate).as("a login on another thread than the pooled connection's").isTrue();
    }
    /**
     * The primary connection holding a client's prepared statements is killed (a DBA, a server restart): the ids the
     * client holds mean nothing on another connection, and could name other statements there, so the client gets a
     * clear error and its connection closes instead of running something else.
     */
    @Test
    void aClientWhosePreparedStatementsWereLostGetsAnErrorNotAnotherStatement() throws Exception {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server(0).address())
                .readOnlyBackend(DB.server(1).address())
                .routing(new RoutingConfig(RoutingConfig.Mode.READ_WRITE_SPLIT, -1)).start();
             Connection c = DriverManager.getConnection(proxy.mysqlUrl("shop", "useServerPrepStmts=true"), "app",
                     "app");
             PreparedStatement insert = c.prepareStatement("INSERT INTO orders VALUES (?)")) {
            insert.setInt(1, 1);
            assertThat(insert.executeUpdate()).isEqualTo(1);
            killConnectionsOf(DB.server(0), "app");
            // another client of the user leaves its connections in the pool: the next statement can take one
            try (Connection other = DriverManager.getConnection(proxy.mysqlUrl("shop", ""), "app", "app");
                 Statement s = other.createStatement()) {
                assertThat(port(s, "SELECT @@port FOR UPDATE")).isEqualTo(String.valueOf(DB.server(0).port()));
            }
            Listener listener = proxy.server().listeners().get(0);
            await().atMost(Duration.ofSeconds(5)).until(() -> listener.pooledConnections(listener.backends().get(0)) == 1);
            insert.setInt(1, 2);
            assertThatThrownBy(insert::executeUpdate)
                    .hasMessageContaining("prepared statements was lost");
        }
    }
    /**
     * The same loss when the user's only other connections were opened by another driver (other capabilities): the
     * client cannot use them, and its error says so instead of "all are in use".
     */
    @Test
    void aClientThatCannotUseTheIdleConnectionsLeftIsToldWhy() throws Exception {
        PoolConfig shortWait = new PoolConfig(0, 0, 60_000, new MultiplexingConfig(false, Set.of(), 200, 500));
        try (TestProxy proxy = TestProxy.builder().backend(DB.server(0).address())
                .readOnlyBackend(DB.server(1).address()).pool(shortWait)
                .routing(new RoutingConfig(RoutingConfig.Mode.READ_WRITE_SPLIT, -1)).start();
             Connection c = DriverManager.getConnection(proxy.mysqlUrl("shop", ""), "app", "app");
             Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("INSERT INTO orders VALUES (3)")).isEqualTo(1);
            killConnectionsOf(DB.server(0), "app");
            try (Connection other = DriverManager.getConnection(proxy.mariadbUrl("shop", ""), "app", "app");
                 Statement o = other.createStatement()) {
                assertThat(port(o, "SELECT @@port FOR UPDATE")).isEqualTo(String.valueOf(DB.server(0).port()));
            }
            Listener listener = proxy.server().listeners().get(0);
            await().atMost(Duration.ofSeconds(5)).until(() -> listener.pooledConnections(listener.backends().get(0)) == 1);
            assertThatThrownBy(() -> s.executeUpdate("INSERT INTO orders VALUES (4)"))
                    .hasMessageContaining("opened by clients with other capabilities");
        }
    }

    private static void killConnectionsOf(MariaDbServer server, String user) throws SQLException {
        try (Connection root = DriverManager.getConnection(server.jdbcUrl(), "root", "");
             Statement s = root.createStatement()) {
            s.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '" + user + "'");
            try (ResultSet rs = s.getResultSet()) {
                assertThat(rs.next()).isTrue();
                long id = rs.getLong(1);
                assertThat(rs.next()).as("one connection of " + user).isFalse();
                root.createStatement().execute("KILL " + id);
            }
        }
    }
}
