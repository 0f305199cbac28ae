package io.mysqlproxy.scripting;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaUserdata;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.TwoArgFunction;
import org.luaj.vm2.lib.VarArgFunction;

import java.util.ArrayList;
import java.util.List;

/** {@code proxy.queries}: {@code append}, {@code prepend}, {@code reset}, {@code len} and {@code #}. */
final class InjectionQueue {
    private final List<InjectionRequest> items = new ArrayList<>();

    void set(List<InjectionRequest> list) {
        items.clear();
        items.addAll(list);
    }

    List<InjectionRequest> drain() {
        List<InjectionRequest> out = List.copyOf(items);
        items.clear();
        return out;
    }

    int size() {
        return items.size();
    }

    LuaValue toLua() {
        LuaTable methods = new LuaTable();
        methods.set("append", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                items.add(request(args));
                return NONE;
            }
        });
        methods.set("prepend", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                items.add(0, request(args));
                return NONE;
            }
        });
        methods.set("reset", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                items.clear();
                return NONE;
            }
        });
        TwoArgFunction len = new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue ignored) {
                return LuaValue.valueOf(items.size());
            }
        };
        methods.set("len", len);
        LuaTable meta = new LuaTable();
        meta.set(LuaValue.INDEX, methods);
        meta.set(LuaValue.LEN, len);
        return new LuaUserdata(this, meta);
    }

    private static InjectionRequest request(Varargs args) {
        // args: self, id, packet [, options]
        int id = args.checkint(2);
        byte[] packet = ResponseEncoder.luaBytes(args.checkstring(3));
        if (packet.length == 0) {
            throw new LuaError("proxy.queries: an injected packet needs at least the command byte");
        }
        boolean needed = false;
        LuaValue options = args.arg(4);
        if (!options.isnil()) {
            LuaValue v = options.checktable().get("resultset_is_needed");
            if (!v.isnil()) {
                needed = v.checkboolean();
            }
        }
        return new InjectionRequest(id, packet, needed);
    }
}
