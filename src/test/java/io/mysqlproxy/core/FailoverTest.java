package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.backend.BackendState;
import io.mysqlproxy.backend.SelectionPolicy;
import io.mysqlproxy.config.HealthCheck;
import io.mysqlproxy.config.Limits;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.MariaDbServer;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Two real backends: connections fail over when one dies, and a query on the dead one errors at once. */
class FailoverTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension(0);

    private static int serverPort(TestProxy proxy) throws SQLException {
        try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT @@port")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void killedBackendFailsOverAndInFlightQueryErrorsAtOnce() throws Exception {
        MariaDbServer first = DB.startAnother();
        MariaDbServer second = DB.startAnother();
        try (TestProxy proxy = TestProxy.to(first, second)) {
            assertThat(serverPort(proxy)).isEqualTo(first.port());
            Connection victim = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
            CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> {
                try (Statement s = victim.createStatement()) {
                    s.executeQuery("SELECT SLEEP(30)");
                    return "completed";
                } catch (SQLException e) {
                    return e.getSQLState() + " " + e.getMessage();
                }
            });
            Thread.sleep(300);
            long killedAt = System.nanoTime();
            first.kill();
            // before the health checker noticed: the refused connect fails over to the second backend
            assertThat(serverPort(proxy)).isEqualTo(second.port());
            String outcome = inFlight.get(5, TimeUnit.SECONDS);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt)).isLessThan(5_000);
            // the client's connection is closed as the dead server's would be: a connection error of the driver's own
            assertThat(outcome).startsWith("08").contains("Socket error");
            victim.close();
            Backend dead = proxy.server().listeners().get(0).backends().get(0);
            await().atMost(Duration.ofSeconds(5)).until(() -> dead.state() == BackendState.DOWN);
            first.restart();
            await().atMost(Duration.ofSeconds(5)).until(() -> dead.state() == BackendState.UP);
            assertThat(serverPort(proxy)).isEqualTo(first.port());
        }
    }

    @Test
    void aLoginWhileTheOnlyBackendRestartsWaitsForItWithinTheConnectTimeout() throws Exception {
        MariaDbServer only = DB.startAnother();
        try (TestProxy proxy = TestProxy.builder().backend(only.address())
                .limits(l -> new Limits(10_000, 20_000, l.idleTimeoutMillis(),
                        l.readTimeoutMillis(), l.writeTimeoutMillis(), l.maxPacketSize(), l.shutdownTimeoutMillis()))
                .start()) {
            Backend backend = proxy.server().listeners().get(0).backends().get(0);
            only.kill();
            await().atMost(Duration.ofSeconds(5)).until(() -> backend.state() == BackendState.DOWN);
            CompletableFuture<Integer> login = CompletableFuture.supplyAsync(() -> {
                try {
                    return serverPort(proxy);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(500);
            assertThat(login).isNotDone(); // still trying, not refused
            only.restart();
            assertThat(login.get(15, TimeUnit.SECONDS)).isEqualTo(only.port());
        }
    }

    @Test
    void allBackendsDownGivesAClearError() {
        MariaDbServer only = DB.startAnother();
        try (TestProxy proxy = TestProxy.to(only)) {
            only.kill();
            assertThatThrownBy(() -> serverPort(proxy)).hasMessageContaining("no backend available")
                    .hasMessageContaining(only.address());
        }
    }

    @Test
    void aBackendThatClosesBeforeItsGreetingIsSkipped() throws Exception {
        MariaDbServer good = DB.startAnother();
        try (ServerSocket dying = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread closer = new Thread(() -> {
                while (!dying.isClosed()) {
                    try {
                        dying.accept().close(); // accepts, then goes away without a word, as a server being killed
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            closer.setDaemon(true);
            closer.start();
            // checks rarely enough that the dying backend is not marked down before the client tries it
            try (TestProxy proxy = TestProxy.builder().backend("127.0.0.1:" + dying.getLocalPort())
                    .backend(good.address())
                    .health(new HealthCheck(60_000, 500, 3, 1, null, null, "SELECT 1")).start()) {
                assertThat(serverPort(proxy)).isEqualTo(good.port());
                assertThat(proxy.server().metrics().registry().find("mysqlproxy.failovers").counter().count())
                        .isGreaterThanOrEqualTo(1.0);
            }
        } finally {
            good.close();
        }
    }

    @Test
    void eachListenerRelaysToItsOwnBackends() throws SQLException {
        MariaDbServer a = DB.startAnother();
        MariaDbServer b = DB.startAnother();
        try (TestProxy proxy = TestProxy.builder().backend(a.address()).extraListener("reports", b.address()).start()) {
            assertThat(serverPort(proxy)).isEqualTo(a.port());
            int reportsPort = proxy.server().listener("reports").boundPort();
            try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + reportsPort + "/", "root", "");
                 Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT @@port")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(b.port());
            }
        }
    }

    @Test
    void roundRobinSpreadsNewConnections() throws SQLException {
        MariaDbServer a = DB.startAnother();
        MariaDbServer b = DB.startAnother();
        try (TestProxy proxy = TestProxy.builder().backend(a.address()).backend(b.address())
                .policy(SelectionPolicy.ROUND_ROBIN).start()) {
            Map<Integer, Integer> counts = new HashMap<>();
            for (int i = 0; i < 10; i++) {
                counts.merge(serverPort(proxy), 1, Integer::sum);
            }
            assertThat(counts).containsEntry(a.port(), 5).containsEntry(b.port(), 5);
        }
    }
}
