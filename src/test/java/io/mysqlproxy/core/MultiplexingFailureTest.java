package io.mysqlproxy.core;

import io.mysqlproxy.config.HealthCheck;
import io.mysqlproxy.config.MultiplexingConfig;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** A backend that dies under multiplexed clients: every statement gets a clear error, none hangs; new clients work. */
class MultiplexingFailureTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension(1);

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void aBackendCrashGivesHeldAndIdleClientsAnErrorAndNewClientsWorkOnceItIsBack() throws Exception {
        DB.server().execute("CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw'", "GRANT ALL ON *.* TO 'app'@'%'");
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address())
                .health(new HealthCheck(100, 500, 1, 1, "", "", "SELECT 1"))
                .pool(new PoolConfig(0, 0, 60_000, new MultiplexingConfig(true, Set.of(), 20, 5_000))).start()) {
            String url = proxy.mariadbUrl("", "socketTimeout=20000");
            Connection held = DriverManager.getConnection(url, "app", "app-pw");
            Connection idle = DriverManager.getConnection(url, "app", "app-pw");
            one(idle, "SELECT 1");
            one(held, "SELECT 1");
            try (Statement s = held.createStatement()) {
                s.execute("BEGIN");
            }
            one(held, "SELECT 1");

            DB.server().kill();
            // an answer, not the driver giving up on a silent socket
            assertThatThrownBy(() -> one(held, "SELECT 2")).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContainIgnoringCase("timeout")
                            .doesNotContainIgnoringCase("timout"));
            assertThatThrownBy(() -> one(idle, "SELECT 2")).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("no backend connection",
                            "no backend available", "Lost connection"));
            held.close();
            idle.close();

            DB.server().restart();
            await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() -> {
                try (Connection c = DriverManager.getConnection(url, "app", "app-pw")) {
                    assertThat(one(c, "SELECT 'back'")).isEqualTo("back");
                }
            });
        }
    }
}
