package io.mysqlproxy.admin;

import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The admin interface through the mariadb CLI, MariaDB Connector/J and MySQL Connector/J. */
class AdminInterfaceTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension(2);
    static Path scriptDir;
    static Path script;
    static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        for (int i = 0; i < 2; i++) {
            DB.server(i).execute("CREATE USER 'app'@'%' IDENTIFIED BY 'apppw'", "GRANT ALL ON *.* TO 'app'@'%'",
                    "CREATE DATABASE d");
        }
        scriptDir = Files.createTempDirectory("admin-test");
        script = scriptDir.resolve("proxy.lua");
        Files.writeString(script, answering("v1"));
        proxy = TestProxy.builder().backend(DB.server(0).address()).backend(DB.server(1).address())
                .script(script).admin("admin", "s3cret", null, 3).start();
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    /** A proxy script that answers SELECT 'version' itself and passes everything else on. */
    static String answering(String version) {
        return """
                function read_query(packet)
                  if packet:sub(2) == "SELECT 'version'" then
                    proxy.response = { type = proxy.MYSQLD_PACKET_OK,
                      resultset = { fields = { { name = "v" } }, rows = { { "%s" } } } }
                    return proxy.PROXY_SEND_RESULT
                  end
                end
                """.formatted(version);
    }

    static Connection admin() throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + proxy.adminPort() + "/", "admin", "s3cret");
    }

    static Connection client() throws SQLException {
        return DriverManager.getConnection(proxy.mariadbUrl("d", ""), "app", "apppw");
    }

    /** The rows of {@code sql} on the admin interface, each as column label to value. */
    static List<Map<String, String>> rows(String sql) throws SQLException {
        try (Connection c = admin(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            List<Map<String, String>> out = new ArrayList<>();
            while (rs.next()) {
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.put(rs.getMetaData().getColumnLabel(i), rs.getString(i));
                }
                out.add(row);
            }
            return out;
        }
    }

    static void adminExecute(String sql) throws SQLException {
        try (Connection c = admin(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    @Test
    void tablesTakeColumnListsWhereOrderByAndLimit() throws SQLException {
        assertThat(rows("select id, state from backends")).extracting(Map::keySet)
                .allSatisfy(k -> assertThat(k).containsExactly("id", "state"));
        assertThat(rows("SELECT address AS a FROM backends WHERE id = 2")).containsExactly(
                Map.of("a", DB.server(1).address()));
        assertThat(rows("SELECT id FROM backends ORDER BY id DESC LIMIT 1")).containsExactly(Map.of("id", "2"));
        assertThat(rows("SELECT id FROM backends ORDER BY 1 LIMIT 1 OFFSET 1")).containsExactly(Map.of("id", "2"));
        assertThat(rows("SELECT id FROM backends WHERE (role = 'RW' AND id IN (1, 5)) OR address LIKE '%:0'"))
                .containsExactly(Map.of("id", "1"));
        assertThat(rows("SELECT COUNT(*) FROM backends WHERE id BETWEEN 1 AND 2 AND address IS NOT NULL"))
                .containsExactly(Map.of("COUNT(*)", "2"));
        assertThat(rows("SELECT description FROM help WHERE statement LIKE 'RELOAD%'")).containsExactly(
                Map.of("description", "re-read the proxy's Lua script now"));
        assertThatThrownBy(() -> rows("SELECT nope FROM backends")).isInstanceOfSatisfying(SQLException.class,
                e -> assertThat(e.getErrorCode()).isEqualTo(1054)).hasMessageContaining("Unknown column 'nope'");
        assertThatThrownBy(() -> rows("SELECT * FROM nowhere")).isInstanceOfSatisfying(SQLException.class,
                e -> assertThat(e.getErrorCode()).isEqualTo(1146));
        assertThatThrownBy(() -> rows("SELECT id FROM backends WHERE id =")).isInstanceOfSatisfying(
                SQLException.class, e -> assertThat(e.getErrorCode()).isEqualTo(1064))
                .hasMessageContaining("ends too early");
        Cli.Result cli = Cli.run("mariadb", proxy.adminPort(), "admin", "s3cret", null, "--batch", "-e",
                "select id, state from backends where id = 1");
        assertThat(cli.exitCode()).as(cli.output()).isZero();
        assertThat(cli.output()).startsWith("id\tstate\n1\t");
    }

    @Test
    void cliListsHelpAndBackends() {
        Cli.Result help = Cli.run("mariadb", proxy.adminPort(), "admin", "s3cret", null, "--batch", "-e",
                "SELECT * FROM help");
        assertThat(help.exitCode()).as(help.output()).isZero();
        assertThat(help.output()).contains("SELECT * FROM backends", "SET backend <id> offline|online",
                "KILL [CONNECTION] <id>", "RELOAD SCRIPT", "SELECT * FROM query_digests");
        Cli.Result backends = Cli.run("mariadb", proxy.adminPort(), "admin", "s3cret", null, "--batch", "-e",
                "SELECT * FROM backends");
        assertThat(backends.output()).contains("id\tlistener\taddress\trole\tstate\tweight\tconnected_clients")
                .contains("1\tdefault\t" + DB.server(0).address() + "\trw\t")
                .contains("2\tdefault\t" + DB.server(1).address() + "\trw\t");
    }

    @Test
    void mysqlConnectorReadsListeners() throws Exception {
        String url = "jdbc:mysql://127.0.0.1:" + proxy.adminPort() + "/?sslMode=DISABLED";
        try (Connection c = DriverManager.getConnection(url, "admin", "s3cret"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM listeners")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("name")).isEqualTo("default");
            assertThat(rs.getInt("port")).isEqualTo(proxy.port());
            assertThat(rs.getInt("backends")).isEqualTo(2);
            assertThat(rs.getInt("max_connections")).isEqualTo(proxy.config().listeners().get(0).maxConnections());
            assertThat(rs.next()).isFalse();
        }
    }

    @Test
    void connectionsShowTheRunningCommand() throws Exception {
        try (Connection c = client()) {
            CompletableFuture<Void> sleeping = CompletableFuture.runAsync(() -> {
                try (Statement s = c.createStatement()) {
                    s.execute("SELECT SLEEP(2)");
                } catch (SQLException e) {
                    throw new RuntimeException(e);
                }
            });
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(rows("SELECT * FROM connections"))
                    .anySatisfy(r -> {
                        assertThat(r.get("user")).isEqualTo("app");
                        assertThat(r.get("db")).isEqualTo("d");
                        assertThat(r.get("command")).isEqualTo("COM_QUERY");
                        assertThat(r.get("query")).isEqualTo("SELECT SLEEP(2)");
                        assertThat(r.get("state")).isEqualTo("read_query_result");
                        assertThat(Long.parseLong(r.get("command_ms"))).isGreaterThanOrEqualTo(0);
                    }));
            sleeping.join();
            assertThat(rows("SELECT * FROM connections")).anySatisfy(r -> {
                assertThat(r.get("user")).isEqualTo("app");
                assertThat(r.get("command")).isNull();
            });
        }
    }

    @Test
    void queryDigestsGroupStatementsByShapeAndReset() throws Exception {
        adminExecute("DELETE FROM query_digests");
        try (Connection c = client(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS digest_t (id INT PRIMARY KEY, v VARCHAR(10))");
            s.execute("REPLACE INTO digest_t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
            for (int i = 1; i <= 3; i++) {
                s.executeQuery("SELECT v FROM digest_t WHERE id >= " + i).close();
            }
            assertThatThrownBy(() -> s.execute("SELECT nope FROM digest_t WHERE id = 1"))
                    .isInstanceOf(SQLException.class);
        }
        List<Map<String, String>> digests = rows("SELECT * FROM query_digests");
        Map<String, String> select = digests.stream()
                .filter(r -> r.get("digest").equals("SELECT v FROM digest_t WHERE id >= ?")).findFirst()
                .orElseThrow(() -> new AssertionError(digests.toString()));
        assertThat(select.get("count")).isEqualTo("3");
        assertThat(select.get("rows_sent")).isEqualTo("6"); // 3 + 2 + 1
        assertThat(select.get("errors")).isEqualTo("0");
        long min = Long.parseLong(select.get("min_us"));
        long max = Long.parseLong(select.get("max_us"));
        assertThat(min).isPositive().isLessThanOrEqualTo(max);
        assertThat(Long.parseLong(select.get("total_us"))).isGreaterThanOrEqualTo(min + max);
        assertThat(Long.parseLong(select.get("p99_us"))).isBetween(min, max);
        assertThat(digests).anySatisfy(r -> {
            assertThat(r.get("digest")).isEqualTo("SELECT nope FROM digest_t WHERE id = ?");
            assertThat(r.get("errors")).isEqualTo("1");
        });
        adminExecute("TRUNCATE TABLE query_digests");
        assertThat(rows("SELECT * FROM query_digests")).noneSatisfy(
                r -> assertThat(r.get("digest")).contains("digest_t"));
    }

    @Test
    void offlineBackendDrainsThenComesBack() throws Exception {
        try (Connection before = client(); Statement s = before.createStatement()) {
            ResultSet port = s.executeQuery("SELECT @@port");
            port.next();
            assertThat(port.getInt(1)).isEqualTo(DB.server(0).port());
            adminExecute("SET backend 1 offline");
            assertThat(rows("SELECT * FROM backends").get(0).get("state")).isEqualTo("offline");
            // the open session goes on; new ones go to the other backend
            assertThat(s.executeQuery("SELECT 1").next()).isTrue();
            try (Connection after = client(); Statement s2 = after.createStatement();
                 ResultSet rs = s2.executeQuery("SELECT @@port")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(DB.server(1).port());
            }
        } finally {
            adminExecute("SET backend 1 online");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> rows("SELECT * FROM backends").get(0).get("state")
                .equals("up"));
        try (Connection c = client(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT @@port")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(DB.server(0).port());
        }
        assertThatThrownBy(() -> adminExecute("SET backend 9 offline")).hasMessageContaining("there is no backend 9");
    }

    @Test
    void killClosesAClientConnection() throws Exception {
        try (Connection c = client(); Statement s = c.createStatement()) {
            s.execute("SELECT 1");
            String id = rows("SELECT * FROM connections").stream().filter(r -> "app".equals(r.get("user")))
                    .map(r -> r.get("id")).findFirst().orElseThrow();
            adminExecute("KILL " + id);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(rows("SELECT * FROM connections")).noneSatisfy(r -> assertThat(r.get("id")).isEqualTo(id)));
            assertThatThrownBy(() -> s.execute("SELECT 1")).isInstanceOf(SQLException.class);
        }
        assertThatThrownBy(() -> adminExecute("KILL 987654")).hasMessageContaining("Unknown thread id: 987654");
    }

    @Test
    void reloadScriptSwapsTheProxyScriptOrSaysWhyNot() throws Exception {
        try (Connection c = client(); Statement s = c.createStatement()) {
            assertThat(value(s, "SELECT 'version'")).isEqualTo("v1");
            Files.writeString(script, answering("v2"));
            adminExecute("RELOAD SCRIPT");
            assertThat(value(s, "SELECT 'version'")).isEqualTo("v2");
            Files.writeString(script, "function read_query(packet) return end end");
            assertThatThrownBy(() -> adminExecute("RELOAD SCRIPT")).hasMessageContaining("does not compile")
                    .hasMessageContaining("does not compile: proxy.lua:1: '<eos>' expected");
            assertThat(value(s, "SELECT 'version'")).isEqualTo("v2");
        } finally {
            Files.writeString(script, answering("v1"));
            adminExecute("RELOAD SCRIPT");
        }
    }

    private static String value(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void configHidesPasswordsAndUnknownStatementsGetAnError() throws Exception {
        assertThat(rows("SELECT * FROM config")).anySatisfy(r -> {
            assertThat(r.get("name")).isEqualTo("admin-password");
            assertThat(r.get("value")).isEqualTo("********");
        });
        assertThatThrownBy(() -> adminExecute("DROP TABLE backends"))
                .hasMessageContaining("the admin interface does not understand: DROP TABLE backends");
        assertThatThrownBy(() -> adminExecute("SELECT * FROM nothing"))
                .hasMessageContaining("no table nothing");
    }
}
