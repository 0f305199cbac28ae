package io.mysqlproxy.scripting;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Escapes a hostile or careless script may try against the sandbox and the other connections' scripts, each
 * denied or bounded. (Reaching the JVM, files and processes, bytecode, string.dump and endless loops are covered
 * on real connections in ScriptingRelayTest.)
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
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

    @Test
    void oneStatesStringLibraryIsNotAnothers() {
        assertThat(a.run("function string.shout(s) return s:upper() .. '!' end return ('a'):shout()")).isEqualTo("A!");
        assertThat(b.run("return tostring(('a').shout) .. ' ' .. ('b'):upper()")).isEqualTo("nil B");
        assertThat(a.run("return ('a'):shout()")).isEqualTo("A!");
        assertThat(b.run("return tostring(getmetatable(''))")).isEqualTo("string"); // not the table itself
    }

    @Test
    void sharedTablesHoldDataOnlyAndKeepTheirMetatables() {
        assertThat(a.error("setmetatable(proxy.global, { __index = function() return 1 end })"))
                .contains("their metatables cannot be changed");
        assertThat(a.error("proxy.global.f = print")).contains("holds data only").contains("function");
        assertThat(a.error("proxy.global.t = { nested = { f = function() end } }")).contains("holds data only");
        assertThat(a.error("proxy.global.m = setmetatable({}, { __index = string })"))
                .contains("a table with a metatable cannot be shared");
        a.run("proxy.global.counters = { hits = 1 }");
        assertThat(b.error("setmetatable(proxy.global.counters, {})")).contains("cannot be changed");
        assertThat(b.run("return proxy.global.counters.hits")).isEqualTo("1");
    }

    /** Budgets small enough to reach at once: 2 million units of work, no time limit, 16 MiB of allocation. */
    private final ScriptingOptions bounded = new ScriptingOptions(1, true, 2_000_000, 0, false, 16L << 20);

    @Test
    void anInterruptionCannotBeCaughtAndTheCallCannotGoOn() {
        try (LuaTestState state = new LuaTestState(global, bounded)) {
            for (String escape : new String[] {
                    "while true do pcall(function() while true do end end) end",
                    "while true do xpcall(function() while true do end end, function(e) return e end) end",
                    "while true do xpcall(function() error('x') end, function() while true do end end) end",
                    "while true do coroutine.resume(coroutine.create(function() while true do end end)) end",
                    "while true do pcall(coroutine.wrap(function() while true do end end)) end",
                    "while true do pcall(load('while true do end', 'x', 't', {})) end",
                    "load('while true do end', 'x', 't', { pcall = pcall })()",
                    "local t = setmetatable({}, { __index = function() while true do end end }) "
                            + "while true do pcall(function() return t.x end) end",
                    "while true do pcall(table.sort, { 3, 2, 1 }, function() while true do end end) end",
                    "while true do pcall(string.gsub, 'abc', '%w', function() while true do end end) end"}) {
                assertThat(state.error(escape)).as(escape).startsWith("script interrupted: more than 2000000");
                assertThat(state.run("return 'next call'")).isEqualTo("next call");
            }
        }
    }

    @Test
    void workInsideLibraryFunctionsCountsAgainstTheBudget() {
        try (LuaTestState state = new LuaTestState(global, bounded)) {
            // backtracking: exponential in one call of string.find
            assertThat(state.error("return string.rep('a', 28):find(string.rep('a*', 9) .. 'b')"))
                    .startsWith("script interrupted: more than 2000000");
            assertThat(state.error("local s = string.rep('x', 5e6) while true do s:gsub('y', 'z') end"))
                    .startsWith("script interrupted: more than 2000000");
            assertThat(state.error("local t = {} for i = 1, 1e5 do t[i] = i end while true do table.sort(t) end"))
                    .startsWith("script interrupted");
            assertThat(state.run("return ('a=1, b=2'):gsub('(%w+)=(%w+)', '%2=%1')")).isEqualTo("1=a, 2=b");
        }
    }

    @Test
    void theTimeBudgetStopsACallInsideOnePatternMatch() {
        ScriptingOptions timed = new ScriptingOptions(1, true, 0, 300, false, 16L << 20);
        try (LuaTestState state = new LuaTestState(global, timed)) {
            assertThat(state.error("return string.rep('a', 40):find(string.rep('a*', 12) .. 'b')"))
                    .isEqualTo("script interrupted: a hook call ran longer than 300 ms");
            assertThat(state.error("while true do pcall(function() while true do end end) end"))
                    .isEqualTo("script interrupted: a hook call ran longer than 300 ms");
        }
    }

    @Test
    void largeValuesAreRefusedBeforeTheyAreBuilt() {
        try (LuaTestState state = new LuaTestState(global, bounded)) {
            assertThat(state.error("local s = 'x' for i = 1, 29 do s = s .. s end return #s"))
                    .matches("script interrupted: a concatenation of \\d+ bytes would make the hook call "
                            + "allocate more than 16 MiB");
            assertThat(state.error("return #string.rep('x', 2^31)"))
                    .startsWith("script interrupted: string.rep's result of 2147483648 bytes");
            assertThat(state.error("local s = string.rep('x', 1e6) local t = {} for i = 1, 100 do t[i] = s end "
                    + "return #table.concat(t)")).startsWith("script interrupted: table.concat's result");
            assertThat(state.error("local s = string.rep('x', 1e6) local a = {} for i = 1, 40 do a[i] = s end "
                    + "return #string.format(string.rep('%s', 40), table.unpack(a))"))
                    .startsWith("script interrupted: string.format's result");
            assertThat(state.error("local s = string.rep('x', 1e5) return #s:gsub('x', s)"))
                    .startsWith("script interrupted: string.gsub's result");
            assertThat(state.error("local s = string.rep('x', 1e6) local n = 0 "
                    + "while true do n = n + #(s .. n) end"))
                    .startsWith("script interrupted: ").endsWith("allocate more than 16 MiB"); // many small values
            assertThat(state.error("local t = {} for i = 1, 1e8 do t[i] = { i, tostring(i) } end"))
                    .startsWith("script interrupted: a hook call allocated more than 16 MiB");
            assertThat(state.run("return #string.rep('ab', 1000) .. #(('x'):rep(10) .. 'y')")).isEqualTo("200011");
        }
    }

    @Test
    void tooManyResultsAndTooDeepCallsAreLuaErrorsAScriptMayCatch() {
        try (LuaTestState state = new LuaTestState(global, bounded)) {
            assertThat(state.error("return select('#', table.unpack({}, 1, 1e8))"))
                    .contains("too many results to unpack");
            assertThat(state.error("return select('#', string.rep('x', 2e6):byte(1, -1))"))
                    .contains("string slice too long");
            assertThat(state.error("local function f() return 1 + f() end return f()")).contains("stack overflow");
            assertThat(state.run("local function f() return 1 + f() end return tostring(pcall(f))"))
                    .isEqualTo("false");
        }
    }

    @Test
    void aStateKeepsOnlySoManyUnfinishedCoroutines() {
        try (LuaTestState state = new LuaTestState(global, bounded)) {
            assertThat(state.error("kept = {} for i = 1, 200 do "
                    + "local c = coroutine.create(function() coroutine.yield() end) coroutine.resume(c) kept[i] = c end"))
                    .contains("too many coroutines: a Lua state keeps at most 100 unfinished ones");
            // finished ones do not count, nor ones never resumed
            assertThat(state.run("for _, c in ipairs(kept) do coroutine.resume(c) end "
                    + "for i = 1, 300 do coroutine.wrap(function() return i end)() end "
                    + "for i = 1, 300 do kept[i] = coroutine.create(print) end return 'done'")).isEqualTo("done");
        }
    }
}
