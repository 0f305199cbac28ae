package io.mysqlproxy.scripting;

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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Scripts replaced while connections stay open; modules; a blocking script delays only its own thread. */
class ScriptHotSwapTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();

    private static String answering(String text) {
        return """
                function read_query(packet)
                  if packet:sub(2) == "SELECT version_of_script" then
                    proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = {
                      fields = { { name = "v" } }, rows = { { "%s" } } } }
                    return proxy.PROXY_SEND_RESULT
                  end
                end
                """.formatted(text);
    }

    private static String single(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void fileChangeSwapsTheScriptOnTheSameOpenConnection(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("main.lua");
        Files.writeString(script, answering("one"));
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).script(script).start();
             Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
             Statement s = c.createStatement()) {
            assertThat(single(s, "SELECT version_of_script")).isEqualTo("one");
            Files.writeString(script, answering("two, a longer one"));
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                    .until(() -> single(s, "SELECT version_of_script").equals("two, a longer one"));
            String before = proxy.server().listeners().get(0).scripts().current().checksum();

            Files.writeString(script, "function read_query(packet)\n  return = 1\nend\n");
            assertThatThrownBy(() -> proxy.server().reloadScripts()).isInstanceOf(ScriptException.class)
                    .hasMessageContaining("does not compile: main.lua:2: unexpected symbol");
            Files.writeString(script, "error('top level refuses to run')\n");
            assertThatThrownBy(() -> proxy.server().reloadScripts()).isInstanceOf(ScriptException.class)
                    .hasMessageContaining("top level refuses to run");
            Thread.sleep(1500); // the watcher saw the broken files too
            assertThat(proxy.server().listeners().get(0).scripts().current().checksum()).isEqualTo(before);
            assertThat(single(s, "SELECT version_of_script")).isEqualTo("two, a longer one");
            assertThat(single(s, "SELECT 'backend still there'")).isEqualTo("backend still there");
        }
    }

    @Test
    void requiredModulesWithModuleAndSeeall(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("lib"));
        Files.writeString(dir.resolve("lib/greeting.lua"), """
                module("lib.greeting", package.seeall)
                local prefix = "hello "
                function greet(name) return prefix .. string.upper(name) end
                """);
        Path script = dir.resolve("main.lua");
        Files.writeString(script, """
                local greeting = require("lib.greeting")
                function read_query(packet)
                  if packet:sub(2) == "SELECT greet" then
                    proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = {
                      fields = { { name = "g" } }, rows = { { greeting.greet("lua") .. " " .. lib.greeting._NAME } } } }
                    return proxy.PROXY_SEND_RESULT
                  elseif packet:sub(2) == "SELECT escape" then
                    local ok, err = pcall(require, "../../etc/passwd")
                    proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = {
                      fields = { { name = "e" } }, rows = { { tostring(ok) } } } }
                    return proxy.PROXY_SEND_RESULT
                  end
                end
                """);
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).script(script).start();
             Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
             Statement s = c.createStatement()) {
            assertThat(single(s, "SELECT greet")).isEqualTo("hello LUA lib.greeting");
            assertThat(single(s, "SELECT escape")).isEqualTo("false");
        }
    }

    @Test
    void blockingScriptDelaysOnlyConnectionsOnItsThread(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("main.lua");
        Files.writeString(script, """
                function read_query(packet)
                  if packet:sub(2) == "SELECT slow" then
                    local until_ = os.clock() + 1.5
                    while os.clock() < until_ do end
                    proxy.response = { type = proxy.MYSQLD_PACKET_OK }
                    return proxy.PROXY_SEND_RESULT
                  end
                end
                """);
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address())
                .script(script, new ScriptingOptions(2, true, 0, 10_000, false)).start();
             Connection slow = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
             Connection fast = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
             Connection unscripted = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "")) {
            CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> {
                try (Statement s = slow.createStatement()) {
                    s.execute("SELECT slow");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(200);
            long start = System.nanoTime();
            try (Statement s = fast.createStatement()) {
                for (int i = 0; i < 20; i++) {
                    assertThat(single(s, "SELECT " + i)).isEqualTo(Integer.toString(i));
                }
            }
            long fastMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(blocked).isNotDone(); // the slow hook was still running all along
            assertThat(fastMillis).isLessThan(1000);
            blocked.get(10, TimeUnit.SECONDS);
            try (Statement s = unscripted.createStatement()) {
                assertThat(single(s, "SELECT 'after'")).isEqualTo("after");
            }
        }
    }
}
