package io.mysqlproxy.core;

import io.mysqlproxy.config.CanaryConfig;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A canary script (--proxy-lua-canary-script) runs on its share of new connections beside the stable script: rolled
 * back when it fails more often, promoted after its delay, tried again when its file changes.
 */
class CanaryScriptTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();

    /** Answers SELECT version_of_script with {@code version}; with {@code bug}, a query naming boom raises. */
    private static String script(String version, boolean bug) {
        return """
                function read_query(packet)
                  %s
                  if packet:sub(2) == "SELECT version_of_script" then
                    proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = {
                      fields = { { name = "v" } }, rows = { { "%s" } } } }
                    return proxy.PROXY_SEND_RESULT
                  end
                end
                """.formatted(bug ? "if packet:find('boom') then error('the canary cannot read this') end" : "",
                version);
    }

    private static String single(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static Listener.ScriptRow canaryRow(TestProxy proxy) {
        return proxy.server().listeners().get(0).scriptRows().stream().filter(r -> r.role().equals("canary"))
                .findFirst().orElse(null);
    }

    private static TestProxy proxy(Path dir, String stable, String canary, CanaryConfig config) throws Exception {
        Files.writeString(dir.resolve("stable.lua"), stable);
        Files.writeString(dir.resolve("canary.lua"), canary);
        return TestProxy.builder().backend(DB.server().address()).script(dir.resolve("stable.lua"))
                .canary(config).admin("admin", "admin-pw", null, 5).start();
    }

    @Test
    void aCanaryThatFailsMoreIsRolledBackAndItsConnectionsGoOnWithTheStableScript(@TempDir Path dir)
            throws Exception {
        CanaryConfig half = CanaryConfig.file(dir.resolve("canary.lua"), 50, 0.05, 10, 0);
        try (TestProxy proxy = proxy(dir, script("stable", false), script("canary", true), half)) {
            List<Connection> clients = new ArrayList<>();
            try {
                List<Statement> onCanary = new ArrayList<>();
                List<Statement> onStable = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
                    clients.add(c);
                    Statement s = c.createStatement();
                    (single(s, "SELECT version_of_script").equals("canary") ? onCanary : onStable).add(s);
                }
                assertThat(onCanary).hasSize(3);
                for (Statement s : onStable) {
                    assertThat(single(s, "SELECT 'boom'")).isEqualTo("boom");
                }
                for (Statement s : onCanary) {
                    for (int i = 0; i < 3; i++) {
                        assertThat(single(s, "SELECT 1")).isEqualTo("1");
                    }
                    // the canary's own error, and only it, reaches its clients
                    assertThatThrownBy(() -> single(s, "SELECT 'boom'")).isInstanceOf(SQLException.class)
                            .hasMessageContaining("the canary cannot read this");
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> canaryRow(proxy).state().equals("rolled back"));
                assertThat(canaryRow(proxy).verdict()).contains("3 hook errors").contains("against the stable");
                try (Connection admin = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + proxy.adminPort()
                        + "/", "admin", "admin-pw"); Statement a = admin.createStatement();
                     ResultSet rs = a.executeQuery("SELECT state, connections, hook_errors, verdict FROM scripts"
                             + " WHERE role = 'canary'")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1)).isEqualTo("rolled back");
                    assertThat(rs.getLong(2)).isEqualTo(3);
                    assertThat(rs.getLong(3)).isEqualTo(3);
                    assertThat(rs.getString(4)).contains("3 hook errors");
                }
                var registry = proxy.server().metrics().registry();
                assertThat(registry.get("mysqlproxy.canary.outcomes").tag("outcome", "rolled_back").counter()
                        .count()).isEqualTo(1);
                assertThat(registry.get("mysqlproxy.script.failures").tag("role", "canary").tag("kind", "hook_error")
                        .functionCounter().count()).isEqualTo(3);
                assertThat(registry.get("mysqlproxy.script.failures").tag("role", "stable").tag("kind", "hook_error")
                        .functionCounter().count()).isZero();
                for (Statement s : onCanary) {
                    assertThat(single(s, "SELECT version_of_script")).isEqualTo("stable");
                    assertThat(single(s, "SELECT 'boom'")).isEqualTo("boom");
                }
                try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
                     Statement s = c.createStatement()) {
                    assertThat(single(s, "SELECT version_of_script")).isEqualTo("stable");
                }

                // a new version of the canary file is tried again, from new connections on
                Files.writeString(dir.resolve("canary.lua"), script("canary, mended", false));
                await().atMost(Duration.ofSeconds(5)).until(() -> canaryRow(proxy).state().equals("running"));
                List<String> seen = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
                         Statement s = c.createStatement()) {
                        seen.add(single(s, "SELECT version_of_script"));
                    }
                }
                assertThat(seen).containsExactlyInAnyOrder("stable", "canary, mended");
            } finally {
                for (Connection c : clients) {
                    c.close();
                }
            }
        }
    }

    @Test
    void aHealthyCanaryBecomesTheStableScriptAfterItsDelay(@TempDir Path dir) throws Exception {
        CanaryConfig all = CanaryConfig.file(dir.resolve("canary.lua"), 100, 0.01, 5, 1_000);
        try (TestProxy proxy = proxy(dir, script("stable", false), script("canary", false), all);
             Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
             Statement s = c.createStatement()) {
            for (int i = 0; i < 5; i++) {
                assertThat(single(s, "SELECT version_of_script")).isEqualTo("canary");
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> canaryRow(proxy).state().equals("promoted"));
            String canaryChecksum = canaryRow(proxy).checksum();
            assertThat(proxy.server().listeners().get(0).scripts().current().checksum()).isEqualTo(canaryChecksum);
            assertThat(single(s, "SELECT version_of_script")).isEqualTo("canary");
            try (Connection later = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
                 Statement t = later.createStatement()) {
                assertThat(single(t, "SELECT version_of_script")).isEqualTo("canary");
            }
        }
    }

    @Test
    void aCanaryThatDoesNotCompileLeavesTheStableScriptAlone(@TempDir Path dir) throws Exception {
        CanaryConfig broken = CanaryConfig.file(dir.resolve("canary.lua"), 100, 0.01, 5, 0);
        try (TestProxy proxy = proxy(dir, script("stable", false), "function read_query(p) return = 1 end", broken);
             Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
             Statement s = c.createStatement()) {
            assertThat(single(s, "SELECT version_of_script")).isEqualTo("stable");
            assertThat(canaryRow(proxy)).isNull();
        }
    }
}
