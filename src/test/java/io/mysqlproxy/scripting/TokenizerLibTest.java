package io.mysqlproxy.scripting;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The tokenizer as scripts see it: {@code require("proxy.tokenizer")}, userdata tokens, helpers. */
class TokenizerLibTest {
    private final LuaWorker worker = new LuaWorker(0, ScriptingOptions.DEFAULTS, new SharedTable(),
            () -> new ScriptCompiler().compile("", "empty.lua", null));

    @AfterEach
    void stop() {
        worker.shutdown();
    }

    private String run(String lua) {
        return worker.run(() -> worker.globals().load(lua, "test.lua").call().tojstring()).join();
    }

    @Test
    void tokensAreUserdataWithTheOriginalFields() {
        assertThat(run("""
                local tk = require("proxy.tokenizer")
                local tokens = tk.tokenize("SELECT a FROM `t` WHERE b = 'x'")
                local out = { type(tokens), #tokens }
                for i = 1, #tokens do
                  out[#out + 1] = tokens[i].token_name .. "/" .. tokens[i].token_id .. "/" .. tokens[i].text
                end
                return table.concat(out, " ")
                """)).isEqualTo("userdata 8 TK_SQL_SELECT/204/SELECT TK_LITERAL/9/a TK_SQL_FROM/105/FROM "
                + "TK_LITERAL/9/t TK_SQL_WHERE/253/WHERE TK_LITERAL/9/b TK_EQ/5/= TK_STRING/7/x");
    }

    @Test
    void helpersOfProxyTokenizer() {
        assertThat(run("""
                local tk = require("proxy.tokenizer")
                local tokens = tk.tokenize("/* c */ insert into t values (1, 'a b')")
                return tk.normalize(tokens) .. "|" .. tk.first_stmt_token(tokens).token_name .. "|"
                  .. table.concat(tk.bare_tokens(tokens, true), " ") .. "|" .. tk.tokens_to_query(tokens, 2, 4)
                  .. "|" .. #tk.tokens_without_comments(tokens) .. "|" .. tostring(proxy.tokenizer == tk)
                  .. "|" .. #proxy.tokenize("select 1")
                """)).isEqualTo("INSERT INTO `t` VALUES ( ? , ? ) |TK_SQL_INSERT|insert into t values ( 1 , "
                + "\"a b\" )|insert into t |9|true|2");
    }

    @Test
    void tokensCanBeFreedButNotReplaced() {
        assertThat(run("""
                local tokens = tokenizer.tokenize("select 1")
                tokens[1] = nil
                local ok, err = pcall(function() tokens[2] = "x" end)
                return tostring(tokens[1]) .. " " .. tokens[2].text .. " " .. tostring(ok) .. " " .. err
                """)).startsWith("nil 1 false ").contains("tokens[i] can only be set to nil");
        assertThat(run("return tostring(pcall(function() return tokenizer.tokenize('a')[1].nope end))"))
                .isEqualTo("false");
    }
}
