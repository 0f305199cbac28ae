package io.mysqlproxy.scripting;

import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaUserdata;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.TwoArgFunction;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * {@code proxy.global.backends}: the backends of the running connection's listener, indexed from 1, with
 * {@code dst}, {@code state}, {@code type}, {@code connected_clients} and {@code weight}. Read-only here.
 */
final class BackendsView {
    private BackendsView() {
    }

    /** The metatable of {@code proxy.global}: its {@code backends} key is resolved per connection. */
    static LuaTable metatable() {
        LuaTable meta = new LuaTable();
        meta.set(LuaValue.INDEX, new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key) {
                LuaConnection c = LuaWorker.CURRENT.get();
                if (c == null || c.info() == null || !"backends".equals(key.tojstring())) {
                    return NIL;
                }
                return of(c.info().backends());
            }
        });
        return meta;
    }

    private static LuaValue of(List<ConnectionInfo.BackendInfo> backends) {
        LuaTable meta = new LuaTable();
        meta.set(LuaValue.INDEX, new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key) {
                int i = key.optint(0);
                if (i < 1 || i > backends.size()) {
                    return NIL;
                }
                ConnectionInfo.BackendInfo b = backends.get(i - 1);
                LuaTable t = new LuaTable();
                t.set("dst", ProxyApi.address(InetSocketAddress.createUnresolved(b.host(), b.port())));
                t.set("state", b.state());
                t.set("type", b.type());
                t.set("connected_clients", b.connectedClients());
                t.set("weight", b.weight());
                return t;
            }
        });
        meta.set(LuaValue.LEN, new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue other) {
                return LuaValue.valueOf(backends.size());
            }
        });
        return new LuaUserdata(backends, meta);
    }
}
