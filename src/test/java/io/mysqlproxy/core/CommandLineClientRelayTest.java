package io.mysqlproxy.core;

import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The mariadb and mariadb-admin command-line clients through the proxy. */
class CommandLineClientRelayTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();
    static TestProxy proxy;

    @BeforeAll
    static void start() {
        DB.server().execute("CREATE USER 'dba'@'%' IDENTIFIED BY 'dbapw'", "GRANT ALL ON *.* TO 'dba'@'%'");
        proxy = TestProxy.to(DB.server());
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    private Cli.Result mariadb(String stdin, String... args) {
        return Cli.run("mariadb", proxy.port(), "dba", "dbapw", stdin, args);
    }

    @Test
    void scriptWithProcedureMultipleResultsAndWarnings() {
        String script = """
                CREATE DATABASE IF NOT EXISTS cli;
                USE cli;
                CREATE TABLE IF NOT EXISTS kv (k VARCHAR(8) PRIMARY KEY, v INT);
                REPLACE INTO kv VALUES ('a', 1), ('b', 2);
                DELIMITER //
                CREATE OR REPLACE PROCEDURE both_ways() BEGIN SELECT k FROM kv ORDER BY k; SELECT SUM(v) AS total FROM kv; END//
                DELIMITER ;
                CALL both_ways();
                SELECT CAST('7x' AS INTEGER) AS casted;
                SHOW WARNINGS;
                """;
        Cli.Result r = mariadb(script, "--batch");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("k\na\nb\n").contains("total\n3\n").contains("casted\n7\n")
                .contains("Truncated incorrect INTEGER value: '7x'");
    }

    @Test
    void loadDataLocalInfile(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("data.csv");
        Files.writeString(file, "1,one\n2,two\n3,three\n");
        Cli.Result r = mariadb(null, "--local-infile=1", "--batch", "-e",
                "CREATE DATABASE IF NOT EXISTS cli2; CREATE TABLE cli2.f (i INT, s TEXT);"
                        + " LOAD DATA LOCAL INFILE '" + file + "' INTO TABLE cli2.f FIELDS TERMINATED BY ',';"
                        + " SELECT GROUP_CONCAT(s ORDER BY i) AS s FROM cli2.f");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("one,two,three");
    }

    @Test
    void adminToolStatusAndPing() {
        Cli.Result status = Cli.run("mariadb-admin", proxy.port(), "dba", "dbapw", null, "status");
        assertThat(status.exitCode()).as(status.output()).isZero();
        assertThat(status.output()).startsWith("Uptime:");
        Cli.Result ping = Cli.run("mariadb-admin", proxy.port(), "dba", "dbapw", null, "ping");
        assertThat(ping.output()).contains("mysqld is alive");
    }

    @Test
    void wrongPasswordIsRefusedByTheServer() {
        Cli.Result r = Cli.run("mariadb", proxy.port(), "dba", "nope", null, "-e", "SELECT 1");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("ERROR 1045").contains("Access denied for user 'dba'");
    }
}
