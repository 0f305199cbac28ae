package io.mysqlproxy.scripting;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The tokenizer as scripts see it: {@code require("proxy.tokenizer")}, userdata tokens, helpers. */
class TokenizerLibTest {
    private final LuaTestState lua = new LuaTestState();

    @AfterEach
    void stop() {
        lua.close();
    }

    private String run(String code) {
        return lua.run(code);
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

    @Test
    void proxyCommandsDecodesCommandPackets() {
        assertThat(run("""
                local commands = require("proxy.commands")
                local q = commands.parse(string.char(proxy.COM_QUERY) .. "SELECT 1")
                local db = commands.parse(string.char(proxy.COM_INIT_DB) .. "shop")
                local fl = commands.parse(string.char(proxy.COM_FIELD_LIST) .. "orders\0i%")
                local ex = commands.parse(string.char(proxy.COM_STMT_EXECUTE, 7, 1, 0, 0, 0, 1, 0, 0, 0))
                local ping = commands.parse(string.char(proxy.COM_PING))
                return table.concat({ commands.pretty_print(q), db.schema, fl.table, fl.wildcard,
                  ex.type_name, tostring(ex.stmt_handler_id), commands.pretty_print(ping),
                  tostring(proxy.commands == commands) }, "|")
                """)).isEqualTo("[COM_QUERY] SELECT 1|shop|orders|i%|COM_STMT_EXECUTE|263|[COM_PING]|true");
    }
}
