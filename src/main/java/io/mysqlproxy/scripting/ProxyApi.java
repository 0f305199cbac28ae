package io.mysqlproxy.scripting;

import io.mysqlproxy.protocol.Commands;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.ThreeArgFunction;
import org.luaj.vm2.lib.TwoArgFunction;
import org.luaj.vm2.lib.VarArgFunction;

import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * The {@code proxy} table of one Lua state: constants, the shared {@code proxy.global}, and {@code connection},
 * {@code queries} and {@code response} resolved to the connection whose hook is running on this thread.
 */
final class ProxyApi {
    /** MySQL Proxy's API level, 0.8.5: scripts compare {@code proxy.PROXY_VERSION} against it. */
    static final int PROXY_VERSION = 0x000805;

    private ProxyApi() {
    }

    static LuaTable create(SharedTable global, Supplier<LuaConnection> current) {
        LuaTable proxy = new LuaTable();
        constants(proxy);
        proxy.set("global", global);
        proxy.set("atomic_add", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                LuaValue table = args.arg1();
                if (!(table instanceof SharedTable shared)) {
                    throw new LuaError("proxy.atomic_add works on tables inside proxy.global");
                }
                return shared.add(args.arg(2), args.optdouble(3, 1));
            }
        });
        LuaTable meta = new LuaTable();
        meta.set(LuaValue.INDEX, new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key) {
                LuaConnection c = current.get();
                if (c == null) {
                    return NIL;
                }
                return switch (key.tojstring()) {
                    case "connection" -> c.connectionObject();
                    case "queries" -> c.queriesObject();
                    case "response" -> c.response();
                    default -> NIL;
                };
            }
        });
        meta.set(LuaValue.NEWINDEX, new ThreeArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key, LuaValue value) {
                LuaConnection c = current.get();
                if (c != null && "response".equals(key.tojstring())) {
                    c.response(value);
                } else {
                    self.rawset(key, value);
                }
                return NONE;
            }
        });
        proxy.setmetatable(meta);
        return proxy;
    }

    private static void constants(LuaTable p) {
        p.set("PROXY_SEND_QUERY", HookOutcome.SEND_QUERY);
        p.set("PROXY_SEND_RESULT", HookOutcome.SEND_RESULT);
        p.set("PROXY_IGNORE_RESULT", HookOutcome.IGNORE_RESULT);
        p.set("PROXY_VERSION", PROXY_VERSION);
        p.set("MYSQLD_PACKET_OK", ResponseEncoder.OK);
        p.set("MYSQLD_PACKET_ERR", ResponseEncoder.ERR);
        p.set("MYSQLD_PACKET_RAW", ResponseEncoder.RAW);
        p.set("MYSQLD_PACKET_EOF", 254);
        p.set("MYSQLD_PACKET_NULL", 251);
        p.set("BACKEND_STATE_UNKNOWN", 0);
        p.set("BACKEND_STATE_UP", 1);
        p.set("BACKEND_STATE_DOWN", 2);
        p.set("BACKEND_STATE_OFFLINE", 3);
        p.set("BACKEND_TYPE_UNKNOWN", 0);
        p.set("BACKEND_TYPE_RW", 1);
        p.set("BACKEND_TYPE_RO", 2);
        for (int c = Commands.COM_SLEEP; c <= Commands.COM_RESET_CONNECTION; c++) {
            p.set(Commands.name(c), c);
        }
        String[] types = {"DECIMAL", "TINY", "SHORT", "LONG", "FLOAT", "DOUBLE", "NULL", "TIMESTAMP", "LONGLONG",
            "INT24", "DATE", "TIME", "DATETIME", "YEAR", "NEWDATE"};
        for (int i = 0; i < types.length; i++) {
            p.set("MYSQL_TYPE_" + types[i], i);
        }
        p.set("MYSQL_TYPE_BIT", 16);
        String[] high = {"NEWDECIMAL", "ENUM", "SET", "TINY_BLOB", "MEDIUM_BLOB", "LONG_BLOB", "BLOB", "VAR_STRING",
            "STRING", "GEOMETRY"};
        for (int i = 0; i < high.length; i++) {
            p.set("MYSQL_TYPE_" + high[i], 246 + i);
        }
    }

    /** An address object: {@code name}, {@code address}, {@code port}, {@code type} (2 for IPv4, 10 for IPv6). */
    static LuaValue address(InetSocketAddress a) {
        if (a == null) {
            return LuaValue.NIL;
        }
        LuaTable t = new LuaTable();
        String ip = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        boolean v6 = ip.contains(":");
        t.set("address", ip);
        t.set("port", a.getPort());
        t.set("name", (v6 ? "[" + ip + "]" : ip) + ":" + a.getPort());
        t.set("type", v6 ? 10 : 2);
        return t;
    }
}
