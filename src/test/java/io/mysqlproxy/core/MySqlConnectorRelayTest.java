package io.mysqlproxy.core;

import com.mysql.cj.jdbc.JdbcConnection;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** MySQL Connector/J through the proxy: server-side prepared statements, cursors, batches, change user. */
class MySqlConnectorRelayTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();
    static TestProxy proxy;

    @BeforeAll
    static void start() {
        DB.server().execute("CREATE DATABASE app", "CREATE TABLE app.n (i INT PRIMARY KEY, s VARCHAR(32))",
                "INSERT INTO app.n SELECT seq, CONCAT('row ', seq) FROM mysql.seq_1_to_1000",
                "CREATE TABLE app.blobs (id INT PRIMARY KEY, b LONGBLOB)",
                "CREATE USER 'alice'@'%' IDENTIFIED BY 'secret'", "GRANT ALL ON app.* TO 'alice'@'%'",
                "CREATE USER 'carol'@'%' IDENTIFIED BY 'other'", "GRANT SELECT ON app.* TO 'carol'@'%'");
        proxy = TestProxy.to(DB.server());
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    private Connection connect(String options) throws SQLException {
        return DriverManager.getConnection(proxy.mysqlUrl("app", options), "alice", "secret");
    }

    @ParameterizedTest
    @ValueSource(strings = {"useServerPrepStmts=false", "useServerPrepStmts=true&cachePrepStmts=true"})
    void preparedStatements(String options) throws SQLException {
        try (Connection c = connect(options); PreparedStatement ps = c.prepareStatement("SELECT s FROM n WHERE i = ?")) {
            for (int i = 1; i <= 50; i++) {
                ps.setInt(1, i);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1)).isEqualTo("row " + i);
                }
            }
        }
    }

    @Test
    void cursorFetchReadsAllRowsInSmallBatches() throws SQLException {
        try (Connection c = connect("useServerPrepStmts=true&useCursorFetch=true");
             PreparedStatement ps = c.prepareStatement("SELECT i, s FROM n WHERE i > ? ORDER BY i")) {
            ps.setFetchSize(7);
            ps.setInt(1, 0);
            long sum = 0;
            int rows = 0;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    sum += rs.getInt(1);
                    rows++;
                }
            }
            assertThat(rows).isEqualTo(1000);
            assertThat(sum).isEqualTo(500_500);
            // the session is in sync afterwards
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM n")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1000);
            }
        }
    }

    @Test
    void rewrittenBatch() throws SQLException {
        try (Connection c = connect("rewriteBatchedStatements=true"); Statement s = c.createStatement()) {
            s.execute("CREATE TEMPORARY TABLE b (i INT)");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO b VALUES (?)")) {
                for (int i = 0; i < 500; i++) {
                    ps.setInt(1, i);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*), SUM(i) FROM b")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(500);
                assertThat(rs.getLong(2)).isEqualTo(124_750);
            }
        }
    }

    @Test
    void changeUserSwitchesIdentity() throws SQLException {
        try (Connection c = connect("")) {
            ((JdbcConnection) c).changeUser("carol", "other"); // COM_CHANGE_USER
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT CURRENT_USER()")) {
                rs.next();
                assertThat(rs.getString(1)).startsWith("carol@");
            }
            ((JdbcConnection) c).changeUser("alice", "secret");
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT CURRENT_USER()")) {
                rs.next();
                assertThat(rs.getString(1)).startsWith("alice@");
            }
        }
    }

    @Test
    void longDataAndStatementReset() throws SQLException {
        byte[] data = new byte[300_000];
        Arrays.fill(data, (byte) 'z');
        try (Connection c = connect("useServerPrepStmts=true");
             PreparedStatement ps = c.prepareStatement("REPLACE INTO blobs VALUES (?, ?)")) {
            ps.setInt(1, 1);
            ps.setBinaryStream(2, new ByteArrayInputStream(data), data.length); // COM_STMT_SEND_LONG_DATA
            ps.executeUpdate();
            ps.clearParameters(); // COM_STMT_RESET after long data
            ps.setInt(1, 2);
            ps.setBytes(2, new byte[] {1, 2, 3});
            ps.executeUpdate();
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT id, LENGTH(b) FROM blobs ORDER BY id")) {
                rs.next();
                assertThat(rs.getInt(2)).isEqualTo(data.length);
                rs.next();
                assertThat(rs.getInt(2)).isEqualTo(3);
            }
        }
    }

    @Test
    void loadDataLocalInfile(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("n.tsv");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            sb.append(i).append('\t').append("v").append(i).append('\n');
        }
        Files.writeString(file, sb);
        try (Connection c = connect("allowLoadLocalInfile=true"); Statement s = c.createStatement()) {
            s.execute("CREATE TEMPORARY TABLE f (i INT, v VARCHAR(16))");
            assertThat(s.executeUpdate("LOAD DATA LOCAL INFILE '" + file + "' INTO TABLE f")).isEqualTo(20_000);
            try (ResultSet rs = s.executeQuery("SELECT SUM(i) FROM f")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(199_990_000L);
            }
        }
    }
}
