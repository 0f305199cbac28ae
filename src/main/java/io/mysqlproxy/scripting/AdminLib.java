package io.mysqlproxy.scripting;

import io.mysqlproxy.sql.TableQuery;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaInteger;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.TwoArgFunction;
import org.luaj.vm2.lib.ZeroArgFunction;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The global {@code admin} of admin scripts: {@code admin.tables()}, {@code admin.table(name)} (ready to be
 * {@code proxy.response.resultset}), {@code admin.select(sql [, tables])}, {@code admin.set_backend(id,
 * "online"|"offline")}, {@code admin.kill(id)},
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
        admin.set("select", new TwoArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                return select(api, args.checkjstring(1), args.opttable(2, new LuaTable()));
            }

            @Override
            public LuaValue call(LuaValue sql, LuaValue extra) {
                return invoke(varargsOf(sql, extra)).arg1();
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

    /**
     * {@code admin.select(sql [, tables])}: a SELECT over one of the proxy's tables or of {@code tables} (name to a
     * resultset the script made, such as its help), with columns, WHERE, ORDER BY and LIMIT ({@link TableQuery});
     * returns the resultset, or nil, the reason and the error code.
     */
    private static Varargs select(AdminApi api, String sql, LuaTable extra) {
        try {
            TableQuery query = TableQuery.parse(sql);
            AdminApi.Table table = api.table(query.table());
            LuaValue own = extra.get(query.table());
            TableQuery.Rows rows;
            if (table != null) {
                rows = new TableQuery.Rows(table.columns().stream().map(AdminApi.Column::name).toList(), table.rows());
            } else if (own.istable()) {
                rows = rows(own);
            } else {
                throw new TableQuery.Refused(1146, "no table " + query.table() + " (SELECT * FROM help lists them)");
            }
            return resultset(query.run(rows));
        } catch (TableQuery.Refused e) {
            return LuaValue.varargsOf(LuaValue.NIL, LuaValue.valueOf(e.getMessage()), LuaValue.valueOf(e.code()));
        }
    }

    /** A script's resultset ({@code fields}, {@code rows}) as rows of text. */
    private static TableQuery.Rows rows(LuaValue rs) {
        List<String> columns = new ArrayList<>();
        LuaValue fields = rs.get("fields");
        for (int i = 1; i <= fields.length(); i++) {
            columns.add(fields.get(i).get("name").tojstring());
        }
        List<List<Object>> out = new ArrayList<>();
        LuaValue rows = rs.get("rows");
        for (int r = 1; r <= rows.length(); r++) {
            List<Object> row = new ArrayList<>();
            for (int c = 1; c <= columns.size(); c++) {
                LuaValue v = rows.get(r).get(c);
                row.add(v.isnil() ? null : v.tojstring());
            }
            out.add(row);
        }
        return new TableQuery.Rows(columns, out);
    }

    private static String guard(Supplier<String> action) {
        try {
            return action.get();
        } catch (RuntimeException e) {
            throw new LuaError(e.getMessage());
        }
    }

    /** A query's rows as a resultset; a column is numeric when every value in it is a number. */
    private static LuaTable resultset(TableQuery.Rows rows) {
        List<AdminApi.Column> columns = new ArrayList<>();
        for (int c = 0; c < rows.columns().size(); c++) {
            int at = c;
            boolean numeric = !rows.rows().isEmpty()
                    && rows.rows().stream().allMatch(r -> r.get(at) == null || r.get(at) instanceof Number);
            columns.add(new AdminApi.Column(rows.columns().get(c), numeric));
        }
        return resultset(new AdminApi.Table(columns, rows.rows()));
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
                            : LuaInteger.valueOf(n.longValue()));
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
