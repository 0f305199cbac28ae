package io.mysqlproxy.metrics;

import io.mysqlproxy.config.MonitoringConfig;
import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.RawClient;
import io.mysqlproxy.testing.TestProxy;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The limits of query digests and the slow-query log, as an operator sees them through the admin interface. */
class StatementStatisticsTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();

    private static List<String> digests(TestProxy proxy) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + proxy.adminPort() + "/",
                "admin", "pw"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM query_digests")) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString("digest") + " x" + rs.getLong("count"));
            }
            return out;
        }
    }

    private static void run(TestProxy proxy, String... sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
             Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    @Test
    void digestsAreBoundedInNumberAndTextLength() throws Exception {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).admin("admin", "pw", null, 5)
                .monitoring(new MonitoringConfig(true, 3, 20, 0, true)).start()) {
            run(proxy, "SELECT 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8", "SELECT 1 AS a", "SELECT 1 AS b", "SELECT 1 AS c",
                    "SELECT 1 AS d");
            List<String> rows = digests(proxy);
            // the first 20 bytes only: "SELECT 1 + 2 + 3 + 4"
            assertThat(rows).contains("SELECT ? + ? + ? + ? x1");
            assertThat(rows).hasSizeLessThanOrEqualTo(4).anySatisfy(r -> assertThat(r).startsWith(QueryDigests.OTHER));
            long counted = rows.stream().mapToLong(r -> Long.parseLong(r.substring(r.lastIndexOf(" x") + 2))).sum();
            assertThat(counted).isGreaterThanOrEqualTo(5); // plus what the driver sent as it connected
        }
    }

    /**
     * A statement that arrives in two reads is digested whole (up to the text length), not cut where the first read
     * ended; a trailing NUL, which mariadb-slap sends, makes no shape of its own.
     */
    @Test
    void aStatementSplitAcrossReadsIsDigestedWholeAndATrailingNulIsBlank() throws Exception {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).admin("admin", "pw", null, 5)
                .start(); RawClient c = RawClient.login(proxy.port(),
                        "root", "", RawClient.DEFAULT_CAPS)) {
            String sql = "INSERT INTO stats.split VALUES (1, 'first half')" + ", (2, 'second half')".repeat(20);
            byte[] payload = ("\u0003" + sql).getBytes(StandardCharsets.UTF_8);
            byte[] frame = RawClient.frame(0, payload);
            DB.server().execute("CREATE DATABASE IF NOT EXISTS stats", "CREATE TABLE IF NOT EXISTS stats.split (id INT, v TEXT)");
            for (int i = 0; i < 3; i++) {
                c.writeRaw(Arrays.copyOfRange(frame, 0, 30));
                Thread.sleep(50);
                c.writeRaw(Arrays.copyOfRange(frame, 30, frame.length));
                c.readPacket();
            }
            c.command(Commands.COM_QUERY, "SELECT 1\0");
            c.readResult();
            c.command(Commands.COM_QUERY, "SELECT 2");
            c.readResult();
            List<String> rows = digests(proxy);
            assertThat(rows).contains("INSERT INTO stats.split VALUES (?, ?)" + ", (?, ?)".repeat(20) + " x3")
                    .contains("SELECT ? x2");
        }
    }

    /** mariadb-slap's generated load: every INSERT under its whole shape, none cut where a read ended. */
    @Test
    void mariadbSlapsStatementsShareTheirWholeShape() throws Exception {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).admin("admin", "pw", null, 5)
                .start()) {
            Cli.Result r = Cli.run("mariadb-slap", proxy.port(), "root",
                    "", null, "--auto-generate-sql", "--number-of-queries=200", "--concurrency=4");
            assertThat(r.exitCode()).as(r.output()).isZero();
            List<String> inserts = digests(proxy).stream().filter(d -> d.startsWith("INSERT")).toList();
            assertThat(inserts).singleElement().asString().startsWith("INSERT INTO t1 VALUES (?,?) x");
        }
    }

    @Test
    void withoutDigestsTheTableIsEmptyAndResetSaysWhy() throws Exception {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).admin("admin", "pw", null, 5)
                .monitoring(new MonitoringConfig(false, 3, 20, 0, true)).start()) {
            run(proxy, "SELECT 1");
            assertThat(digests(proxy)).isEmpty();
            try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + proxy.adminPort() + "/",
                    "admin", "pw"); Statement s = c.createStatement()) {
                assertThatThrownBy(() -> s.execute("DELETE FROM query_digests"))
                        .hasMessageContaining("query digests are not collected (--query-digests=false)");
            }
        }
    }

    @Test
    void slowStatementsAreLoggedOnceWithTheirText() throws Exception {
        List<LogRecord> records = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public synchronized void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger slowLog = Logger.getLogger("io.mysqlproxy.slowlog");
        slowLog.addHandler(capture);
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address())
                .monitoring(new MonitoringConfig(true, 100, 2048, 200, true)).start()) {
            run(proxy, "SELECT 1", "SELECT SLEEP(0.3) AS slow_one", "SELECT 2");
        } finally {
            slowLog.removeHandler(capture);
        }
        List<String> messages;
        synchronized (capture) {
            messages = records.stream().map(r -> r instanceof ExtLogRecord e
                    ? e.getFormattedMessage() : r.getMessage()).toList();
        }
        assertThat(messages).hasSize(1);
        assertThat(messages.get(0)).startsWith("slow query: 0.3").contains("user root")
                .contains("backend " + DB.server().address()).endsWith(": SELECT SLEEP(0.3) AS slow_one");
    }
}
