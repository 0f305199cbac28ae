package io.mysqlproxy.scripting;

import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.MariaDbServer;
import io.mysqlproxy.testing.TestProxy;
import org.awaitility.Awaitility;
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
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The scripts shipped in lua/, end to end against real MariaDB (or none, for the mock server). */
class BundledScriptsTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();

    private static Path bundled(String name) {
        return Path.of("lua", name).toAbsolutePath();
    }

    @BeforeAll
    static void schema() {
        DB.server().execute("CREATE DATABASE shop", "CREATE TABLE shop.orders (id INT PRIMARY KEY, item TEXT)",
                "INSERT INTO shop.orders VALUES (1, 'book'), (2, 'pen'), (3, 'ink')");
    }

    private static Connection connect(TestProxy proxy) throws SQLException {
        return DriverManager.getConnection(proxy.mariadbUrl("shop", ""), "root", "");
    }

    @Test
    void mockServerAnswersWithoutAnyBackend() throws SQLException {
        try (TestProxy proxy = TestProxy.builder().backend("127.0.0.1:" + MariaDbServer.freePort())
                .script(bundled("mock-server.lua")).start()) {
            Cli.Result r = Cli.run("mariadb", proxy.port(), "demo", "", null, "--batch", "-e",
                    "SELECT 'hello'; CREATE TABLE t (i INT); SELECT @@version_comment LIMIT 1");
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(r.output()).contains("hello\nhello").contains("mysqlproxy mock");
            // what the CLI's status command asks, and what drivers ask as they connect
            Cli.Result status = Cli.run("mariadb", proxy.port(), "demo", "", null, "--skip-ssl", "mockdb", "-e",
                    "status");
            assertThat(status.exitCode()).as(status.output()).isZero();
            assertThat(status.output()).contains("Current database:\tmockdb").contains("Current user:\t\tdemo@")
                    .contains("Server version:\t\t5.7.44 mysqlproxy mock").contains("Uptime:");
            Cli.Result asked = Cli.run("mariadb", proxy.port(), "demo", "", null, "--batch", "-e",
                    "SELECT DATABASE(), USER(), @@max_allowed_packet AS packet, 1 + 1; USE other; SELECT DATABASE();"
                            + " SHOW VARIABLES LIKE 'character_set_c%'");
            assertThat(asked.exitCode()).as(asked.output()).isZero();
            assertThat(asked.output()).contains("DATABASE()\tUSER()\tpacket\t1 + 1\nNULL\tdemo@")
                    .contains("\t16777216\t1 + 1\n").contains("DATABASE()\nother\n")
                    .contains("character_set_client\tutf8mb4\ncharacter_set_connection\tutf8mb4\n");
            try (Connection jdbc = DriverManager.getConnection(proxy.mariadbUrl("mockdb", ""), "demo", "");
                 Statement s = jdbc.createStatement(); ResultSet rs = s.executeQuery("SELECT DATABASE()")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("mockdb");
            }
        }
    }

    @Test
    void injectAddsBackendConnectionAndTimingColumns() throws SQLException {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).script(bundled("inject.lua")).start();
             Connection c = connect(proxy); Statement s = c.createStatement()) {
            long backendId;
            try (ResultSet rs = s.executeQuery("SELECT CONNECTION_ID()")) {
                rs.next();
                backendId = rs.getLong(1);
            }
            try (ResultSet rs = s.executeQuery("SELECT id, item FROM orders ORDER BY id")) {
                ResultSetMetaData md = rs.getMetaData();
                assertThat(md.getColumnCount()).isEqualTo(4);
                assertThat(md.getColumnName(3)).isEqualTo("backend_connection_id");
                assertThat(md.getColumnName(4)).isEqualTo("query_time_us");
                int rows = 0;
                while (rs.next()) {
                    rows++;
                    assertThat(rs.getLong(3)).isEqualTo(backendId);
                    assertThat(rs.getLong(4)).isPositive();
                }
                assertThat(rows).isEqualTo(3);
            }
            assertThatThrownBy(() -> s.executeQuery("SELECT * FROM nope")).hasMessageContaining("doesn't exist");
            assertThat(s.executeUpdate("UPDATE orders SET item = item WHERE id = 0")).isZero();
        }
    }

    @Test
    void rewriteMapsLegacyNamesAndCapsLimits() throws SQLException {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).script(bundled("rewrite.lua")).start();
             Connection c = connect(proxy); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM legacy_orders")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(3);
            }
            try (ResultSet rs = s.executeQuery("SELECT seq, REPEAT('r', 200) FROM mysql.seq_1_to_20000 LIMIT 15000")) {
                int rows = 0;
                while (rs.next()) {
                    rows++;
                }
                assertThat(rows).isEqualTo(10_000);
            }
            try (ResultSet rs = s.executeQuery("SELECT seq FROM mysql.seq_1_to_20000 LIMIT 5, 15000")) {
                int rows = 0;
                while (rs.next()) {
                    rows++;
                }
                assertThat(rows).isEqualTo(10_000);
            }
            // tokens, not text: a string or a comment that mentions the name stays as the client wrote it
            try (ResultSet rs = s.executeQuery("SELECT 'legacy_orders is renamed, LIMIT 99999' AS note, "
                    + "`legacy_orders`.id /* from legacy_orders */ FROM legacy_orders ORDER BY id LIMIT 1")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("legacy_orders is renamed, LIMIT 99999");
                assertThat(rs.getInt(2)).isEqualTo(1);
            }
            // and bytes that are not UTF-8 pass untouched
            try (PreparedStatement p = c.prepareStatement("SELECT HEX(CAST(? AS BINARY)) FROM legacy_orders "
                    + "LIMIT 1")) {
                p.setBytes(1, new byte[] {(byte) 0xff, (byte) 0xfe, 'x'});
                try (ResultSet rs = p.executeQuery()) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("FFFE78");
                }
            }
        }
    }

    @Test
    void queryLogWritesOneLinePerQuery() throws SQLException {
        List<String> lines = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                lines.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger log = Logger.getLogger("io.mysqlproxy.scripting.lua");
        log.addHandler(capture);
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).script(bundled("query-log.lua")).start();
             Connection c = connect(proxy); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT item FROM orders WHERE id < 3")) {
                while (rs.next()) {
                    assertThat(rs.getString(1)).isNotEmpty();
                }
            }
            assertThatThrownBy(() -> s.executeQuery("SELECT nonsense FROM orders"));
            Awaitility.await().until(() -> lines.stream().anyMatch(l -> l.contains("nonsense")));
            assertThat(lines).anySatisfy(l -> assertThat(l).contains("user=root").contains("db=shop")
                    .contains("backend=" + DB.server().address()).contains("rows=2").contains("status=ok")
                    .contains("query=\"SELECT item FROM orders WHERE id < 3\""));
            assertThat(lines).anySatisfy(l -> assertThat(l).contains("status=error").contains("nonsense"));
        } finally {
            log.removeHandler(capture);
        }
    }

    @Test
    void firewallRefusesQueriesByShape() throws Exception {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).script(bundled("firewall.lua")).start();
             Connection c = connect(proxy); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeUpdate("DELETE FROM orders"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("Query refused by the mysqlproxy firewall")
                    .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(1148));
            assertThatThrownBy(() -> s.execute("/* sneaky */ truncate   orders")).hasMessageContaining("TRUNCATE");
            assertThatThrownBy(() -> s.executeUpdate("update orders set item = 'news'"))
                    .hasMessageContaining("UPDATE without WHERE");
            assertThat(s.executeUpdate("DELETE FROM orders WHERE id = 99")).isZero();
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM orders")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(3); // nothing refused reached the server
            }
            try (ResultSet rs = s.executeQuery("FIREWALL NORMALIZE select * from t where a = 'x' and b in (1,2)")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("SELECT * FROM `t` WHERE `a` = ? AND `b` IN ( ? , ? ) ");
            }
        }
    }

    @Test
    void firewallTakesItsRulesFromAModuleNextToIt(@TempDir Path dir) throws Exception {
        Files.copy(bundled("firewall.lua"), dir.resolve("firewall.lua"));
        Files.writeString(dir.resolve("firewall-rules.lua"), """
                return { deny = { "SELECT `item` FROM `orders` WHERE `id` = ? " } }
                """);
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address())
                .script(dir.resolve("firewall.lua")).start();
             Connection c = connect(proxy); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeQuery("select item from orders where id = 2"))
                    .hasMessageContaining("firewall");
            try (ResultSet rs = s.executeQuery("SELECT item FROM orders WHERE id > 2")) {
                assertThat(rs.next()).isTrue();
            }
            assertThat(s.executeUpdate("DELETE FROM orders WHERE id = 42")).isZero();
        }
    }

    @Test
    void queryTimingKeepsALatencyHistogramPerQueryShape() throws SQLException {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address())
                .script(bundled("query-timing.lua")).start();
             Connection c = connect(proxy); Statement s = c.createStatement()) {
            for (int i = 0; i < 5; i++) {
                try (ResultSet rs = s.executeQuery("SELECT item FROM orders WHERE id = " + i)) {
                    while (rs.next()) {
                        assertThat(rs.getString(1)).isNotEmpty();
                    }
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT SLEEP(0.2)")) {
                rs.next();
            }
            assertThatThrownBy(() -> s.executeQuery("SELECT nothing FROM orders"));
            try (ResultSet rs = s.executeQuery("SELECT * FROM query_timing.queries")) {
                Map<String, long[]> byQuery = new HashMap<>();
                while (rs.next()) {
                    byQuery.put(rs.getString("query"), new long[] {rs.getLong("count"), rs.getLong("max_us"),
                        rs.getLong("le_1s"), rs.getLong("errors"), rs.getLong("le_1ms") + rs.getLong("le_10ms")
                            + rs.getLong("le_100ms") + rs.getLong("le_1s") + rs.getLong("gt_1s")});
                }
                long[] select = byQuery.get("SELECT `item` FROM `orders` WHERE `id` = ? ");
                assertThat(select).isNotNull();
                assertThat(select[0]).isEqualTo(5);
                assertThat(select[4]).isEqualTo(5);
                long[] sleep = byQuery.get("SELECT SLEEP( ? ) ");
                assertThat(sleep[1]).isGreaterThanOrEqualTo(200_000);
                assertThat(sleep[2]).isEqualTo(1);
                assertThat(byQuery.get("SELECT `nothing` FROM `orders` ")[3]).isEqualTo(1);
            }
            s.execute("DELETE FROM query_timing.queries");
            try (ResultSet rs = s.executeQuery("SELECT * FROM query_timing.queries")) {
                assertThat(rs.next()).isFalse();
            }
        }
    }
}
