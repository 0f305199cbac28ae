package io.mysqlproxy.core;

import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** MariaDB Connector/J through the proxy: every command it uses, text and binary protocol. */
class MariaDbConnectorRelayTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();
    static TestProxy proxy;

    @BeforeAll
    static void start() {
        DB.server().execute("CREATE DATABASE app", "CREATE DATABASE app2", "CREATE TABLE app.t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(64))",
                "CREATE TABLE app.big (id INT PRIMARY KEY, b LONGBLOB)",
                "CREATE PROCEDURE app.two_results() BEGIN SELECT 1 AS a; SELECT 'x' AS b, 'y' AS c; END",
                "CREATE USER 'alice'@'%' IDENTIFIED BY 'secret'", "GRANT ALL ON app.* TO 'alice'@'%'", "GRANT ALL ON app2.* TO 'alice'@'%'",
                "CREATE USER 'ed'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('edpass')",
                "GRANT ALL ON app.* TO 'ed'@'%'");
        proxy = TestProxy.to(DB.server());
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    private Connection connect(String options) throws SQLException {
        return DriverManager.getConnection(proxy.mariadbUrl("app", options), "alice", "secret");
    }

    @ParameterizedTest
    @ValueSource(strings = {"useServerPrepStmts=false", "useServerPrepStmts=true"})
    void insertsAndSelectsWithTextAndBinaryProtocol(String options) throws SQLException {
        try (Connection c = connect(options)) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (v) VALUES (?)")) {
                ps.setString(1, options);
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT v, id FROM t WHERE v = ?")) {
                ps.setString(1, options);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1)).isEqualTo(options);
                    assertThat(rs.next()).isFalse();
                }
            }
        }
    }

    @Test
    void multiStatementsReturnEveryResult() throws SQLException {
        try (Connection c = connect("allowMultiQueries=true"); Statement s = c.createStatement()) {
            assertThat(s.execute("SELECT 1; SELECT 2, 3; DO 1; SELECT 'end'")).isTrue();
            List<String> seen = new ArrayList<>();
            do {
                try (ResultSet rs = s.getResultSet()) {
                    if (rs != null) {
                        rs.next();
                        seen.add(rs.getString(1));
                    } else {
                        seen.add("count " + s.getUpdateCount());
                    }
                }
            } while (s.getMoreResults() || s.getUpdateCount() != -1);
            assertThat(seen).containsExactly("1", "2", "count 0", "end");
        }
    }

    @Test
    void storedProcedureWithTwoResultSets() throws SQLException {
        try (Connection c = connect(""); CallableStatement cs = c.prepareCall("{call two_results()}")) {
            assertThat(cs.execute()).isTrue();
            try (ResultSet rs = cs.getResultSet()) {
                rs.next();
                assertThat(rs.getInt("a")).isEqualTo(1);
            }
            assertThat(cs.getMoreResults()).isTrue();
            try (ResultSet rs = cs.getResultSet()) {
                rs.next();
                assertThat(rs.getString("b") + rs.getString("c")).isEqualTo("xy");
            }
        }
    }

    @Test
    void warningsReachTheClient() throws SQLException {
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            s.execute("SELECT CAST('12abc' AS INTEGER)");
            SQLWarning w = s.getWarnings();
            assertThat((Object) w).isNotNull();
            assertThat(w.getMessage()).contains("Truncated incorrect");
        }
    }

    @Test
    void twentyMebibyteRowBothWays() throws SQLException {
        byte[] blob = new byte[20 * 1024 * 1024 + 7];
        for (int i = 0; i < blob.length; i++) {
            blob[i] = (byte) (i * 31);
        }
        try (Connection c = connect("useServerPrepStmts=true")) {
            try (PreparedStatement ps = c.prepareStatement("REPLACE INTO big VALUES (1, ?)")) {
                ps.setBytes(1, blob);
                ps.executeUpdate();
            }
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT b, LENGTH(b) FROM big")) {
                rs.next();
                assertThat(rs.getLong(2)).isEqualTo(blob.length);
                assertThat(Arrays.equals(rs.getBytes(1), blob)).isTrue();
            }
        }
    }

    @Test
    void loadDataLocalInfile(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("rows.csv");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            sb.append("infile-").append(i).append('\n');
        }
        Files.writeString(file, sb);
        try (Connection c = connect("allowLocalInfile=true"); Statement s = c.createStatement()) {
            s.execute("CREATE TEMPORARY TABLE infile_rows (v VARCHAR(64))");
            int n = s.executeUpdate("LOAD DATA LOCAL INFILE '" + file + "' INTO TABLE infile_rows");
            assertThat(n).isEqualTo(5000);
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*), MAX(v) FROM infile_rows")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(5000);
                assertThat(rs.getString(2)).isEqualTo("infile-999");
            }
            // the session is still usable afterwards
            try (ResultSet rs = s.executeQuery("SELECT 42")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(42);
            }
        }
    }

    @Test
    void batchWithAndWithoutBulk() throws SQLException {
        for (String options : List.of("useBulkStmts=true&useServerPrepStmts=true", "useBulkStmts=false",
                "rewriteBatchedStatements=true")) {
            try (Connection c = connect(options); PreparedStatement ps = c.prepareStatement("INSERT INTO t (v) VALUES (?)")) {
                for (int i = 0; i < 100; i++) {
                    ps.setString(1, "batch " + options);
                    ps.addBatch();
                }
                ps.executeBatch();
                try (Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM t WHERE v = 'batch " + options + "'")) {
                    rs.next();
                    assertThat(rs.getInt(1)).as(options).isEqualTo(100);
                }
            }
        }
    }

    @Test
    void pingInitDbAndResetConnection() throws SQLException {
        try (Connection c = connect("useResetConnection=true")) {
            assertThat(c.isValid(2)).isTrue(); // COM_PING
            c.setCatalog("app2"); // COM_INIT_DB
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT DATABASE()")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("app2");
            }
            try (Statement s = c.createStatement()) {
                s.execute("SET @x = 5");
            }
            ((org.mariadb.jdbc.Connection) c).reset(); // COM_RESET_CONNECTION
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT @x")) {
                rs.next();
                assertThat(rs.getObject(1)).isNull();
            }
        }
    }

    @Test
    void ed25519Login() throws SQLException {
        try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("app", ""), "ed", "edpass");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT CURRENT_USER()")) {
            rs.next();
            assertThat(rs.getString(1)).startsWith("ed@");
        }
    }

    @Test
    void wrongPasswordGetsTheServersError() {
        assertThatThrownBy(() -> DriverManager.getConnection(proxy.mariadbUrl("app", ""), "alice", "wrong"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("Access denied for user 'alice'");
    }

    @Test
    void serverErrorsKeepTheSessionUsable() throws SQLException {
        try (Connection c = connect("useServerPrepStmts=true"); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeQuery("SELECT * FROM no_such_table"))
                    .hasMessageContaining("doesn't exist");
            assertThatThrownBy(() -> c.prepareStatement("SELEC oops").executeQuery())
                    .hasMessageContaining("SQL syntax");
            try (ResultSet rs = s.executeQuery("SELECT 'still here'")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("still here");
            }
        }
    }

    @Test
    void longDataThroughServerPreparedStatement() throws SQLException {
        byte[] data = "long data ".repeat(50_000).getBytes(StandardCharsets.US_ASCII);
        try (Connection c = connect("useServerPrepStmts=true");
             PreparedStatement ps = c.prepareStatement("REPLACE INTO big VALUES (2, ?)")) {
            ps.setBinaryStream(1, new ByteArrayInputStream(data));
            ps.executeUpdate();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT LENGTH(b) FROM big WHERE id = 2")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(data.length);
            }
        }
    }
}
