package io.mysqlproxy.scripting;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Escapes a hostile or careless script may try against the sandbox and the other connections' scripts, each
 * denied or bounded. (Reaching the JVM, files and processes, bytecode, string.dump and endless loops are covered
 * on real connections in ScriptingRelayTest.)
 */
class SandboxEscapeTest {
    private final SharedTable global = sealed();
    private final ScriptingOptions small = new ScriptingOptions(1, true, 10_000_000, 5_000, false, 16L << 20);
    private final LuaTestState a = new LuaTestState(global, small);
    private final LuaTestState b = new LuaTestState(global, small);

    /** proxy.global as a scripting pool sets it up. */
    private static SharedTable sealed() {
        SharedTable g = new SharedTable();
        g.seal();
        return g;
    }

    @AfterEach
    void stop() {
        a.close();
        b.close();
    }

    private static String error(LuaTestState state, String lua) {
        try {
            return "no error: " + state.run(lua);
        } catch (CompletionException e) {
            return e.getCause().getMessage();
        }
    }

    @Test
    void oneStatesStringLibraryIsNotAnothers() {
        assertThat(a.run("function string.shout(s) return s:upper() .. '!' end return ('a'):shout()")).isEqualTo("A!");
        assertThat(b.run("return tostring(('a').shout) .. ' ' .. ('b'):upper()")).isEqualTo("nil B");
        assertThat(a.run("return ('a'):shout()")).isEqualTo("A!");
        assertThat(b.run("return tostring(getmetatable(''))")).isEqualTo("string"); // not the table itself
    }

    @Test
    void sharedTablesHoldDataOnlyAndKeepTheirMetatables() {
        assertThat(error(a, "setmetatable(proxy.global, { __index = function() return 1 end })"))
                .contains("their metatables cannot be changed");
        assertThat(error(a, "proxy.global.f = print")).contains("holds data only").contains("function");
        assertThat(error(a, "proxy.global.t = { nested = { f = function() end } }")).contains("holds data only");
        assertThat(error(a, "proxy.global.m = setmetatable({}, { __index = string })"))
                .contains("a table with a metatable cannot be shared");
        a.run("proxy.global.counters = { hits = 1 }");
        assertThat(error(b, "setmetatable(proxy.global.counters, {})")).contains("cannot be changed");
        assertThat(b.run("return proxy.global.counters.hits")).isEqualTo("1");
    }

    @Test
    void memoryBombsAreStoppedByTheAllocationBudget() {
        assertThat(error(a, "return #string.rep('x', 2^31)")).contains("string.rep")
                .contains("larger than the script's 16 MiB allocation budget");
        assertThat(error(a, "local t = {} for i = 1, 1e8 do t[i] = { i, tostring(i) } end"))
                .contains("script interrupted: a hook call allocated more than 16 MiB");
        assertThat(error(a, "local parts = {} local s = string.rep('x', 4096) for i = 1, 1e6 do parts[i] = s .. i end"))
                .contains("script interrupted: a hook call allocated more than 16 MiB");
        // doubling a string by concatenation outgrows any budget between two checks (30 steps reach 1 GiB): it is
        // bounded by the JVM instead, where the next string would exceed 2 GiB or the heap, and ends as an error
        assertThat(error(a, "local s = 'x' for i = 1, 40 do s = s .. s end return #s"))
                .containsAnyOf("NegativeArraySizeException", "Java heap space");
        assertThat(a.run("return #string.rep('ab', 1000)")).isEqualTo("2000"); // ordinary use is unchanged
    }
}
