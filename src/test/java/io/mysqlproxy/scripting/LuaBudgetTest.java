package io.mysqlproxy.scripting;

import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hook budgets on real connections, with the escapes a hostile or careless script tries, one Lua thread
 * (so that a hook that went on would hold up every later connection) and a one-second time budget.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LuaBudgetTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();
    static TestProxy proxy;
    static Path dir;

    static final String SCRIPT = """
            function read_query(packet)
              local q = packet:sub(2)
              if q == "SELECT pcall_loop" then
                while true do pcall(function() while true do end end) end
              elseif q == "SELECT handler_loop" then
                while true do xpcall(function() error("x") end, function() while true do end end) end
              elseif q == "SELECT coroutine_loop" then
                while true do coroutine.resume(coroutine.create(function() while true do end end)) end
              elseif q == "SELECT backtracking" then
                return string.rep("a", 28):find(string.rep("a*", 9) .. "b")
              elseif q == "SELECT gsub_loop" then
                local s = string.rep("x", 5e6)
                while true do s:gsub("y", "z") end
              elseif q == "SELECT doubling" then
                local s = "x"
                for i = 1, 29 do s = s .. s end
              elseif q == "SELECT many_rows" then
                local row = { string.rep("x", 1e6) }
                local rows = {}
                for i = 1, 10000 do rows[i] = row end
                proxy.response = { type = proxy.MYSQLD_PACKET_OK,
                                   resultset = { fields = { { name = "x" } }, rows = rows } }
                return proxy.PROXY_SEND_RESULT
              elseif q == "SELECT nil_index" then
                local t = nil
                return t.x
              end
            end
            """;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("mysqlproxy-budget-");
        Path script = dir.resolve("main.lua");
        Files.writeString(script, SCRIPT);
        proxy = TestProxy.builder().backend(DB.server().address())
                .script(script, new ScriptingOptions(1, true, 0, 1_000, false, 64L << 20)).start();
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    private static String refusal(String query) {
        try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
             Statement s = c.createStatement()) {
            s.executeQuery(query).close();
            return "no error";
        } catch (SQLException e) {
            return e.getMessage();
        }
    }

    /** A new connection is served: the one Lua thread is free again. */
    private static void assertServed() throws SQLException {
        try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 'served'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("served");
        }
    }

    @Test
    void escapesFromTheTimeBudgetAreInterruptedAndTheLuaThreadServesOthersAfterwards() throws SQLException {
        for (String q : new String[] {"SELECT pcall_loop", "SELECT handler_loop", "SELECT coroutine_loop",
                "SELECT backtracking", "SELECT gsub_loop"}) {
            assertThat(refusal(q)).as(q)
                    .contains("mysqlproxy: Lua error in read_query: script interrupted: a hook call ran longer than "
                            + "1000 ms");
            assertServed();
        }
        assertThat(proxy.server().stuckLuaThreads()).isEmpty();
    }

    @Test
    void valuesBeyondTheMemoryBudgetAreNotBuilt() throws SQLException {
        assertThat(refusal("SELECT doubling")).contains("script interrupted: a concatenation of")
                .contains("would make the hook call allocate more than 64 MiB");
        assertThat(refusal("SELECT many_rows")).contains("script interrupted: a result set value of 1000000 bytes")
                .contains("more than 64 MiB");
        assertServed();
    }

    @Test
    void theCliShowsAnInterruptedHookAsAnError() {
        Cli.Result r = Cli.run("mariadb", proxy.port(), "root", "", null, "-e", "SELECT pcall_loop");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.output()).contains("ERROR 1105 (HY000)").contains("script interrupted");
    }

    @Test
    void aHookErrorNamesTheScriptFileAndLineWithoutItsDirectoryOrATraceback() {
        String error = refusal("SELECT nil_index");
        assertThat(error).contains("mysqlproxy: Lua error in read_query: main.lua:26: attempt to index ? (a nil value)")
                .doesNotContain(dir.toString()).doesNotContain("stack traceback").doesNotContain("[Java]");
    }
}
