package io.mysqlproxy.scripting;

import io.mysqlproxy.sql.SqlNormalizer;
import io.mysqlproxy.sql.SqlStatements;
import io.mysqlproxy.sql.SqlToken;
import io.mysqlproxy.sql.SqlTokenizer;
import io.mysqlproxy.sql.TokenId;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaUserdata;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.ThreeArgFunction;
import org.luaj.vm2.lib.TwoArgFunction;
import org.luaj.vm2.lib.VarArgFunction;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code mysql.tokenizer} (global {@code tokenizer}) and its helper module {@code proxy.tokenizer}, on the
 * proxy's own SQL tokenizer. Token lists and tokens are userdata, as in MySQL Proxy: {@code tokens[i]},
 * {@code #tokens}, {@code tokens[i] = nil}; a token has {@code text}, {@code token_id} and {@code token_name}.
 * Not in MySQL Proxy: {@code statements(sql)}, the statements a text holds as the server runs them (see
 * {@link SqlStatements}), or nil and the reason when it cannot tell for certain; and {@code rewrite(sql, replace)}
 * (see {@link TokenRewrite}).
 */
final class TokenizerLib {
    private static final LuaValue TEXT = LuaValue.valueOf("text");
    private static final LuaValue TOKEN_ID = LuaValue.valueOf("token_id");
    private static final LuaValue TOKEN_NAME = LuaValue.valueOf("token_name");
    private static final LuaTable TOKEN_META = tokenMeta();
    private static final LuaTable TOKENS_META = tokensMeta();

    private TokenizerLib() {
    }

    /** About what tokenizing allocates per byte of SQL (its text, the tokens and their list). */
    static final int TOKENIZED_BYTES_PER_BYTE = 12;

    /** The {@code mysql.tokenizer} table, charging {@code budget} for the work and the tokens. */
    static LuaTable library(Budget budget) {
        LuaTable lib = new LuaTable();
        lib.set("tokenize", new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue sql) {
                int length = sql.checkstring().length();
                budget.reserve((double) length * TOKENIZED_BYTES_PER_BYTE, "tokenizing " + length + " bytes of SQL");
                budget.work(length >> 2);
                return tokens(SqlTokenizer.tokenize(sql.checkjstring()));
            }
        });
        lib.set("normalize", new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue tokens) {
                List<SqlToken> list = javaTokens(tokens);
                budget.work(list.size());
                return LuaValue.valueOf(SqlNormalizer.normalize(list));
            }
        });
        lib.set("rewrite", TokenRewrite.function(budget));
        lib.set("statements", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                int length = args.checkstring(1).length();
                budget.reserve(2.0 * length, "splitting " + length + " bytes of SQL");
                budget.work(length >> 3);
                SqlStatements.Split split = SqlStatements.split(args.checkjstring(1));
                if (!split.certain()) {
                    return LuaValue.varargsOf(NIL, LuaValue.valueOf(split.problem()));
                }
                LuaTable out = new LuaTable(split.statements().size(), 0);
                for (String statement : split.statements()) {
                    out.insert(0, LuaValue.valueOf(statement));
                }
                return out;
            }
        });
        return lib;
    }

    /** The {@code proxy.tokenizer} helpers. */
    static LuaTable helpers(LuaTable lib) {
        LuaTable m = new LuaTable();
        m.set("tokenize", lib.get("tokenize"));
        m.set("normalize", lib.get("normalize"));
        m.set("statements", lib.get("statements"));
        m.set("rewrite", lib.get("rewrite"));
        m.set("first_stmt_token", new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue tokens) {
                int n = tokens.len().toint();
                for (int i = 1; i <= n; i++) {
                    LuaValue t = tokens.get(i);
                    if (!t.isnil() && !"TK_COMMENT".equals(t.get(TOKEN_NAME).tojstring())) {
                        return t;
                    }
                }
                return NIL;
            }
        });
        m.set("bare_tokens", new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue tokens, LuaValue quoteStrings) {
                LuaTable out = new LuaTable();
                for (SqlToken t : javaTokens(tokens)) {
                    if (t.id() == TokenId.TK_STRING && quoteStrings.toboolean()) {
                        out.insert(0, LuaValue.valueOf(luaQuoted(t.text())));
                    } else if (t.id() != TokenId.TK_COMMENT) {
                        out.insert(0, LuaValue.valueOf(t.text()));
                    }
                }
                return out;
            }
        });
        m.set("tokens_to_query", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                List<SqlToken> tokens = javaTokens(args.arg1());
                int from = args.optint(2, 1);
                int to = args.optint(3, tokens.size());
                StringBuilder q = new StringBuilder();
                for (int i = Math.max(1, from); i <= Math.min(to, tokens.size()); i++) {
                    SqlToken t = tokens.get(i - 1);
                    if (t.id() == TokenId.TK_COMMENT) {
                        continue;
                    }
                    q.append(t.id() == TokenId.TK_STRING ? luaQuoted(t.text()) : t.text());
                    if (t.id() != TokenId.TK_FUNCTION) {
                        q.append(' ');
                    }
                }
                return LuaValue.valueOf(q.toString());
            }
        });
        m.set("tokens_without_comments", new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue tokens) {
                LuaTable out = new LuaTable();
                for (SqlToken t : javaTokens(tokens)) {
                    if (t.id() != TokenId.TK_COMMENT) {
                        out.insert(0, LuaValue.valueOf(t.text()));
                    }
                }
                return out;
            }
        });
        return m;
    }

    /** One token as scripts see it. */
    static LuaValue token(SqlToken t) {
        return new LuaUserdata(t, TOKEN_META);
    }

    static LuaValue tokens(List<SqlToken> list) {
        return new LuaUserdata(new ArrayList<>(list), TOKENS_META);
    }

    /** Tokens from our userdata, or from any array of token-like tables a script built itself. */
    @SuppressWarnings("unchecked")
    private static List<SqlToken> javaTokens(LuaValue tokens) {
        if (tokens instanceof LuaUserdata u && u.m_instance instanceof List<?> list) {
            List<SqlToken> out = new ArrayList<>(list.size());
            for (Object o : list) {
                if (o != null) {
                    out.add((SqlToken) o);
                }
            }
            return out;
        }
        if (!tokens.istable()) {
            throw new LuaError("expected a token list, got " + tokens.typename());
        }
        List<SqlToken> out = new ArrayList<>();
        int n = tokens.len().toint();
        for (int i = 1; i <= n; i++) {
            LuaValue t = tokens.get(i);
            if (t.isnil()) {
                continue;
            }
            TokenId id = TokenId.byId(t.get(TOKEN_ID).optint(-1));
            if (id == null) {
                try {
                    id = TokenId.valueOf(t.get(TOKEN_NAME).optjstring("TK_UNKNOWN"));
                } catch (IllegalArgumentException e) {
                    id = TokenId.TK_UNKNOWN;
                }
            }
            out.add(new SqlToken(id, t.get(TEXT).optjstring("")));
        }
        return out;
    }

    private static LuaTable tokenMeta() {
        LuaTable meta = new LuaTable();
        meta.set(LuaValue.INDEX, new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key) {
                SqlToken t = (SqlToken) self.checkuserdata();
                return switch (key.tojstring()) {
                    case "text" -> LuaValue.valueOf(t.text());
                    case "token_id" -> LuaValue.valueOf(t.id().id());
                    case "token_name" -> LuaValue.valueOf(t.id().name());
                    default -> throw new LuaError("token." + key.tojstring() + " is not known");
                };
            }
        });
        meta.set(LuaValue.NEWINDEX, new ThreeArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key, LuaValue value) {
                throw new LuaError("token." + key.tojstring() + " is not writable");
            }
        });
        return meta;
    }

    @SuppressWarnings("unchecked")
    private static LuaTable tokensMeta() {
        LuaTable meta = new LuaTable();
        meta.set(LuaValue.INDEX, new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key) {
                List<SqlToken> list = (List<SqlToken>) self.checkuserdata();
                if (!key.isint()) {
                    return NIL;
                }
                int i = key.toint();
                if (i < 1 || i > list.size() || list.get(i - 1) == null) {
                    return NIL;
                }
                return token(list.get(i - 1));
            }
        });
        meta.set(LuaValue.NEWINDEX, new ThreeArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key, LuaValue value) {
                List<SqlToken> list = (List<SqlToken>) self.checkuserdata();
                if (!value.isnil()) {
                    throw new LuaError("tokens[i] can only be set to nil");
                }
                int i = key.checkint();
                if (i >= 1 && i <= list.size()) {
                    list.set(i - 1, null);
                }
                return NONE;
            }
        });
        meta.set(LuaValue.LEN, new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue self) {
                return LuaValue.valueOf(((List<SqlToken>) self.checkuserdata()).size());
            }
        });
        return meta;
    }

    /** Lua's {@code %q}: the string in double quotes with quotes, backslashes and line ends escaped. */
    static String luaQuoted(String s) {
        StringBuilder q = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"', '\\', '\n' -> q.append('\\').append(c);
                case '\r' -> q.append("\\r");
                case '\0' -> q.append("\\000");
                default -> q.append(c);
            }
        }
        return q.append('"').toString();
    }
}
