package io.mysqlproxy.scripting;

import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * lua/firewall.lua against the ways around it: several statements in one packet, executable comments, comments that
 * end elsewhere than a naive tokenizer thinks, quoting that depends on the server's SQL mode, prepared statements,
 * dynamic SQL and compound statements. After each attempt the data and the database must be there.
 */
class FirewallTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();
    static TestProxy proxy;

    @BeforeAll
    static void start() {
        DB.server().execute("CREATE DATABASE fw", "CREATE DATABASE keepme");
        proxy = TestProxy.builder().backend(DB.server().address())
                .script(Path.of("lua", "firewall.lua").toAbsolutePath()).start();
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    @BeforeEach
    void rows() {
        DB.server().execute("CREATE OR REPLACE TABLE fw.t (id INT PRIMARY KEY, v TEXT)",
                "INSERT INTO fw.t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    }

    private static Connection connect(String options) throws SQLException {
        return DriverManager.getConnection(proxy.mariadbUrl("fw", options), "root", "");
    }

    private static void assertNothingChanged() throws SQLException {
        try (Connection c = DriverManager.getConnection(DB.server().jdbcUrl(), "root", "");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*), (SELECT COUNT(*) FROM information_schema.SCHEMATA "
                     + "WHERE SCHEMA_NAME = 'keepme') FROM fw.t")) {
            rs.next();
            assertThat(rs.getInt(1)).as("rows of fw.t").isEqualTo(3);
            assertThat(rs.getInt(2)).as("database keepme").isEqualTo(1);
        }
    }

    @Test
    void everyStatementOfAMultiStatementPacketIsJudged() throws SQLException {
        try (Connection c = connect("allowMultiQueries=true"); Statement s = c.createStatement()) {
            for (String attack : new String[] {
                    "select 1; delete from t",
                    "select 1; drop database keepme",
                    "select 1 #'\n; delete from t",
                    "select 1 --\t'\n; delete from t",
                    "select 1 /*!40101 ; delete from t */"}) {
                assertThatThrownBy(() -> s.execute(attack)).as(attack)
                        .hasMessageContaining("Query refused by the mysqlproxy firewall");
                assertNothingChanged();
            }
            s.execute("select 1; select 2");
            assertThat(s.getMoreResults()).isTrue();
        }
    }

    @Test
    void executableCommentsAreJudgedAsTheSqlTheyAre() throws SQLException {
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            for (String attack : new String[] {"/*!40101 delete from t */", "/*! drop database keepme */",
                    "/*M!100101 delete from t */", "/*!40101 truncate t */"}) {
                assertThatThrownBy(() -> s.execute(attack)).as(attack).hasMessageContaining("firewall");
                assertNothingChanged();
            }
            assertThat(s.executeUpdate("/*!40101 delete from t where id = 99 */")).isZero();
        }
    }

    @Test
    void theCommandLineClientWithCommentsIsRefusedToo() throws SQLException {
        Cli.Result r = Cli.run("mariadb", proxy.port(), "root", "", null, "--comments", "fw", "-e",
                "/*!40101 delete from t */");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.output()).contains("ERROR 1148 (42000)").contains("DELETE without WHERE");
        Cli.Result multi = Cli.run("mariadb", proxy.port(), "root", "", "delimiter //\nselect 1; delete from t //\n",
                "fw");
        assertThat(multi.output()).contains("ERROR 1148 (42000)");
        assertNothingChanged();
    }

    @Test
    void aTextThatCouldSplitDifferentlyUnderAnotherSqlModeIsRefused() throws SQLException {
        try (Connection c = connect("allowMultiQueries=true"); Statement s = c.createStatement()) {
            s.execute("SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'");
            assertThatThrownBy(() -> s.execute("select 'a\\'; delete from t; -- '"))
                    .hasMessageContaining("cannot be split into statements for certain");
            assertThatThrownBy(() -> s.execute("select 'unterminated")).hasMessageContaining("unterminated string");
        }
        assertNothingChanged();
    }

    @Test
    void preparedAndDynamicSqlIsJudged() throws SQLException {
        try (Connection c = connect("useServerPrepStmts=true&allowMultiQueries=true");
             Statement s = c.createStatement()) {
            assertThatThrownBy(() -> c.prepareStatement("DELETE FROM t").executeUpdate())
                    .hasMessageContaining("DELETE without WHERE");
            assertThatThrownBy(() -> s.execute("PREPARE x FROM 'DELETE FROM t'"))
                    .hasMessageContaining("DELETE without WHERE");
            assertThatThrownBy(() -> s.execute("SET @q = 'DELETE FROM t'; PREPARE x FROM @q; EXECUTE x"))
                    .hasMessageContaining("PREPARE from anything but a string literal");
            assertThatThrownBy(() -> s.execute("EXECUTE IMMEDIATE 'DELETE FROM t'"))
                    .hasMessageContaining("DELETE without WHERE");
            assertThatThrownBy(() -> s.execute("SET STATEMENT max_statement_time = 10 FOR DELETE FROM t"))
                    .hasMessageContaining("DELETE without WHERE");
            assertThatThrownBy(() -> s.execute("ANALYZE DELETE FROM t")).hasMessageContaining("DELETE without WHERE");
            try (PreparedStatement p = c.prepareStatement("DELETE FROM t WHERE id = ?")) {
                p.setInt(1, 99);
                assertThat(p.executeUpdate()).isZero();
            }
        }
        assertNothingChanged();
    }

    @Test
    void compoundStatementsAndStoredProgramsAreRefused() throws SQLException {
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.execute("BEGIN NOT ATOMIC DELETE FROM t; END"))
                    .hasMessageContaining("compound statement");
            assertThatThrownBy(() -> s.execute("IF 1 THEN DELETE FROM t; END IF"))
                    .hasMessageContaining("compound statement");
            assertThatThrownBy(() -> s.execute("CREATE OR REPLACE DEFINER = CURRENT_USER PROCEDURE p() DELETE FROM t"))
                    .hasMessageContaining("stored-program definition");
            s.execute("CREATE TABLE IF NOT EXISTS calendar (event INT, `procedure` INT)");
            s.execute("INSERT INTO t VALUES (4, 'd') ON DUPLICATE KEY UPDATE v = 'e'");
            s.execute("DELETE FROM t WHERE id = 4");
        }
        assertNothingChanged();
    }
}
