package io.mysqlproxy.core;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mysqlproxy.config.LoginAdmission;
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
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A listener that runs one login at once, in front of a server that does not answer (paused): the next client waits
 * its queue timeout and is refused with 1040 (JDBC and the mariadb CLI read it), and a client waiting when the login
 * ends takes its place.
 */
class LoginAdmissionTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension(0);

    @Test
    void beyondItsLoginsAClientWaitsThenIsRefusedAndAWaitingOneGoesOnOnceALoginEnds() throws Exception {
        MariaDbServer server = DB.startAnother();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TestProxy proxy = TestProxy.builder().backend(server.address()).logins(new LoginAdmission(1, 1_500))
                .registry(registry).start()) {
            Listener listener = proxy.server().listeners().get(0);
            server.pause();
            CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> serverPort(proxy));
            try {
                await().atMost(Duration.ofSeconds(5)).until(() -> listener.loginsInProgress() == 1);

                assertThatThrownBy(() -> DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", ""))
                        .isInstanceOf(SQLException.class)
                        .hasMessageContaining("Too many connections: listener default runs 1 logins at once")
                        .hasMessageContaining("none ended within 1500 ms")
                        .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(1040));
                Cli.Result cli = Cli.run("mariadb", proxy.port(), "root", "", null, "--skip-ssl", "-e", "select 1");
                assertThat(cli.exitCode()).isNotZero();
                assertThat(cli.output()).contains("ERROR 1040").contains("--proxy-max-logins");
                assertThat(registry.get("mysqlproxy.client.connections.refused").tag("reason", "max_logins")
                        .counter().count()).isEqualTo(2);

                CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> serverPort(proxy));
                await().atMost(Duration.ofSeconds(1)).until(() -> listener.loginsWaiting() == 1);
                server.resume();
                assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(server.port());
                assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo(server.port());
                assertThat(listener.loginsInProgress()).isZero();
                assertThat(listener.loginsWaiting()).isZero();
            } finally {
                server.resume();
            }
        }
    }

    private static int serverPort(TestProxy proxy) {
        try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("", "connectTimeout=20000"), "root", "");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT @@port")) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw new CompletionException(e);
        }
    }
}
