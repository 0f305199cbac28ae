package io.mysqlproxy.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The harness itself: servers stop, restart and replicate as tests will need. */
class MariaDbExtensionTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension(0);

    private static int count(MariaDbServer s, String table) {
        try (Connection c = DriverManager.getConnection(s.jdbcUrl(), "root", ""); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getInt(1);
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void primaryReplicatesToReplica() {
        MariaDbServer[] pair = DB.startPrimaryAndReplica();
        pair[0].execute("CREATE DATABASE r", "CREATE TABLE r.t (i INT PRIMARY KEY)", "INSERT INTO r.t VALUES (1), (2)");
        await().atMost(Duration.ofSeconds(10)).until(() -> count(pair[1], "r.t") == 2);
    }

    @Test
    void killedServerRestartsWithItsData() {
        MariaDbServer s = DB.startAnother();
        s.execute("CREATE DATABASE k", "CREATE TABLE k.t (i INT) ENGINE=InnoDB", "INSERT INTO k.t VALUES (1)");
        s.kill();
        assertThat(s.isRunning()).isFalse();
        assertThat(MariaDbServer.listening(s.port())).isFalse();
        s.restart();
        assertThat(count(s, "k.t")).isEqualTo(1);
    }
}
