package io.mysqlproxy.scripting;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.TwoArgFunction;
import org.luaj.vm2.lib.ZeroArgFunction;

import java.util.List;

/**
 * The global {@code admin} of admin scripts: {@code admin.tables()}, {@code admin.table(name)} (ready to be
 * {@code proxy.response.resultset}), {@code admin.set_backend(id, "online"|"offline")}, {@code admin.kill(id)},
 * {@code admin.reload_script()} and {@code admin.reset_query_digests()}. Refusals raise Lua errors whose message a
 * script can hand to the client.
 */
final class AdminLib {
    private static final int TYPE_LONGLONG = 8;
    private static final int TYPE_VAR_STRING = 253;

    private AdminLib() {
    }

    static LuaTable create(AdminApi api) {
        LuaTable admin = new LuaTable();
        admin.set("tables", new ZeroArgFunction() {
            @Override
            public LuaValue call() {
                LuaTable out = new LuaTable();
                api.tables().forEach(n -> out.set(out.length() + 1, LuaValue.valueOf(n)));
                return out;
            }
        });
        admin.set("table", new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue name) {
                AdminApi.Table t = api.table(name.checkjstring());
                return t == null ? NIL : resultset(t);
            }
        });
        admin.set("set_backend", new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue id, LuaValue state) {
                String s = state.checkjstring();
                if (!s.equalsIgnoreCase("online") && !s.equalsIgnoreCase("offline")) {
                    throw new LuaError("backend state must be online or offline, not " + s);
                }
                return valueOf(guard(() -> api.setBackendOnline(id.checkint(), s.equalsIgnoreCase("online"))));
            }
        });
        admin.set("kill", new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue id) {
                return valueOf(api.kill(id.checklong()));
            }
        });
        admin.set("reload_script", new ZeroArgFunction() {
            @Override
            public LuaValue call() {
                return valueOf(guard(api::reloadScript));
            }
        });
        admin.set("reset_query_digests", new ZeroArgFunction() {
            @Override
            public LuaValue call() {
                return valueOf(guard(() -> {
                    api.resetQueryDigests();
                    return "query digests reset";
                }));
            }
        });
        return admin;
    }

    private static String guard(java.util.function.Supplier<String> action) {
        try {
            return action.get();
        } catch (RuntimeException e) {
            throw new LuaError(e.getMessage());
        }
    }

    private static LuaTable resultset(AdminApi.Table t) {
        LuaTable fields = new LuaTable();
        for (AdminApi.Column c : t.columns()) {
            LuaTable f = new LuaTable();
            f.set("name", c.name());
            f.set("type", c.numeric() ? TYPE_LONGLONG : TYPE_VAR_STRING);
            fields.set(fields.length() + 1, f);
        }
        LuaTable rows = new LuaTable();
        for (List<Object> row : t.rows()) {
            LuaTable r = new LuaTable();
            for (int i = 0; i < row.size(); i++) {
                Object v = row.get(i);
                if (v instanceof Number n) {
                    r.set(i + 1, n instanceof Double || n instanceof Float ? LuaValue.valueOf(n.doubleValue())
                            : org.luaj.vm2.LuaInteger.valueOf(n.longValue()));
                } else if (v != null) {
                    r.set(i + 1, LuaValue.valueOf(v.toString()));
                }
            }
            rows.set(rows.length() + 1, r);
        }
        LuaTable rs = new LuaTable();
        rs.set("fields", fields);
        rs.set("rows", rows);
        return rs;
    }
}
