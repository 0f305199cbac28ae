package io.mysqlproxy.scripting;

import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.ThreeArgFunction;
import org.luaj.vm2.lib.TwoArgFunction;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * What Lua 5.1 scripts written for MySQL Proxy expect and LuaJ (Lua 5.2) lacks. {@code module} cannot set its
 * caller's environment in 5.2, so every required chunk runs in an environment of its own whose reads and writes go
 * to the globals until the chunk calls {@code module(...)}, and to the module table afterwards.
 */
final class Lua51Compat {
    private Lua51Compat() {
    }

    static void install(Globals g) {
        g.set("_VERSION", LuaValue.valueOf("Lua 5.1"));
        g.set("loadstring", g.get("load"));
        LuaTable table = g.get("table").checktable();
        g.set("unpack", table.get("unpack"));
        table.set("getn", new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue t) {
                return LuaValue.valueOf(t.checktable().length());
            }
        });
        g.get("package").set("seeall", new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue module) {
                LuaTable meta = new LuaTable();
                meta.set(LuaValue.INDEX, g);
                module.setmetatable(meta);
                return NONE;
            }
        });
    }

    /** A fresh environment for a required chunk, ready for a 5.1 {@code module(...)} call. */
    static LuaTable moduleEnvironment(Globals g) {
        LuaValue[] target = {g};
        LuaValue module = new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                LuaTable m = moduleTable(g, args.checkjstring(1));
                for (int i = 2; i <= args.narg(); i++) {
                    args.arg(i).call(m);
                }
                target[0] = m;
                return NONE;
            }
        };
        LuaTable env = LuaSandbox.environment(g, new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key) {
                if (target[0] == g && key.raweq(LuaValue.valueOf("module"))) {
                    return module;
                }
                return target[0].get(key);
            }
        });
        LuaTable meta = env.getmetatable().checktable();
        meta.set(LuaValue.NEWINDEX, new ThreeArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key, LuaValue value) {
                target[0].set(key, value);
                return NONE;
            }
        });
        return env;
    }

    private static LuaTable moduleTable(Globals g, String name) {
        LuaTable loaded = g.get("package").get("loaded").checktable();
        LuaValue existing = loaded.get(name);
        LuaTable m;
        if (existing.istable()) {
            m = existing.checktable();
        } else {
            m = new LuaTable();
            LuaValue parent = g;
            String[] parts = name.split("\\.");
            for (int i = 0; i < parts.length - 1; i++) {
                LuaValue next = parent.get(parts[i]);
                if (!next.istable()) {
                    next = new LuaTable();
                    parent.set(parts[i], next);
                }
                parent = next;
            }
            parent.set(parts[parts.length - 1], m);
            loaded.set(name, m);
        }
        m.set("_NAME", name);
        m.set("_M", m);
        int dot = name.lastIndexOf('.');
        m.set("_PACKAGE", dot < 0 ? "" : name.substring(0, dot + 1));
        return m;
    }
}
