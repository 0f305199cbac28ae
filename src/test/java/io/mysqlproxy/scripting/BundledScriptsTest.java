package io.mysqlproxy.scripting;

import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.MariaDbServer;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

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
    void mockServerAnswersWithoutAnyBackend() {
        try (TestProxy proxy = TestProxy.builder().backend("127.0.0.1:" + MariaDbServer.freePort())
                .script(bundled("mock-server.lua")).start()) {
            Cli.Result r = Cli.run("mariadb", proxy.port(), "demo", "", null, "--batch", "-e",
                    "SELECT 'hello'; CREATE TABLE t (i INT); SELECT @@version_comment LIMIT 1");
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(r.output()).contains("statement\nSELECT 'hello'").contains("mysqlproxy mock");
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
        java.util.logging.Logger log = java.util.logging.Logger.getLogger("io.mysqlproxy.scripting.lua");
        log.addHandler(capture);
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).script(bundled("query-log.lua")).start();
             Connection c = connect(proxy); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT item FROM orders WHERE id < 3")) {
                while (rs.next()) {
                    assertThat(rs.getString(1)).isNotEmpty();
                }
            }
            assertThatThrownBy(() -> s.executeQuery("SELECT nonsense FROM orders"));
            org.awaitility.Awaitility.await().until(() -> lines.stream().anyMatch(l -> l.contains("nonsense")));
            assertThat(lines).anySatisfy(l -> assertThat(l).contains("user=root").contains("db=shop")
                    .contains("backend=" + DB.server().address()).contains("rows=2").contains("status=ok")
                    .contains("query=\"SELECT item FROM orders WHERE id < 3\""));
            assertThat(lines).anySatisfy(l -> assertThat(l).contains("status=error").contains("nonsense"));
        } finally {
            log.removeHandler(capture);
        }
    }
}
