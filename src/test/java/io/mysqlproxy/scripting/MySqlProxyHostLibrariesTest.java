package io.mysqlproxy.scripting;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** What scripts written for MySQL Proxy take from their host: os.getenv, the chassis module, --lua-path modules. */
class MySqlProxyHostLibrariesTest {
    private static ScriptingOptions options(List<String> luaPath, Set<String> env) {
        return new ScriptingOptions(1, true, 10_000_000, 5_000, false, 16L << 20, luaPath, env);
    }


    @Test
    void osGetenvReadsOnlyTheVariablesTheOptionsAllow() {
        try (LuaTestState state = new LuaTestState(new SharedTable(), options(List.of(), Set.of("PATH")))) {
            assertThat(state.run("local DEBUG = os.getenv('DEBUG') or 0 return DEBUG")).isEqualTo("0");
            assertThat(state.run("return os.getenv('PATH')")).isEqualTo(System.getenv("PATH"));
            assertThat(System.getenv("HOME")).isNotNull();
            assertThat(state.run("return tostring(os.getenv('HOME'))")).isEqualTo("nil");
        }
    }

    @Test
    void chassisLogsReportsMemoryAndCannotStopTheProxy() {
        try (LuaTestState state = new LuaTestState(new SharedTable(), options(List.of(), Set.of()))) {
            assertThat(state.run("local chassis = require('chassis') chassis.log('message', 'hello') "
                    + "chassis.critical('bad') chassis.debug('detail') chassis.set_shutdown() "
                    + "local s = chassis.get_stats().chassis "
                    + "return s.lua_mem_bytes_max .. ' ' .. tostring(s.lua_mem_bytes >= 0) .. ' ' "
                    + ".. tostring(s.heap_bytes > 0)")).isEqualTo((16L << 20) + " true true");
            assertThat(state.error("require('chassis').log('loud', 'x')")).contains("unknown level 'loud'");
            assertThat(state.run("return 'still running'")).isEqualTo("still running");
        }
    }

    @Test
    void luaPathModulesLoadFromTheirTemplatesDirectoryOnly(@TempDir Path tmp) throws IOException {
        Path lib = Files.createDirectories(tmp.resolve("lib"));
        Files.writeString(lib.resolve("helpers.lua"), "return { answer = 42 }");
        Files.createDirectories(lib.resolve("nested"));
        Files.writeString(lib.resolve("nested/deep.lua"), "return 'deep'");
        Files.writeString(tmp.resolve("secret.lua"), "return 'outside'");
        try (LuaTestState state = new LuaTestState(new SharedTable(),
                options(List.of(lib + "/?.lua"), Set.of()))) {
            assertThat(state.run("return require('helpers').answer")).isEqualTo("42");
            assertThat(state.run("return require('nested.deep')")).isEqualTo("deep");
            assertThat(state.error("return require('../secret')")).contains("module '../secret' not found");
            assertThat(state.error("return require('secret')")).contains("module 'secret' not found");
        }
    }
}
