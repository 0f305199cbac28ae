package io.mysqlproxy.scripting;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaUserdata;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.ThreeArgFunction;
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

    /**
     * {@code backend.pool}: {@code min_idle_connections} and {@code max_idle_connections} (writable), and
     * {@code users[name].cur_idle_connections} ({@code users[""]} counts every user).
     */
    private static LuaValue pool(PoolView pool) {
        LuaTable usersMeta = new LuaTable();
        usersMeta.set(LuaValue.INDEX, new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue user) {
                LuaTable queue = new LuaTable();
                queue.set("cur_idle_connections", pool.idle(user.optjstring("")));
                return queue;
            }
        });
        LuaValue users = new LuaUserdata(pool, usersMeta);
        LuaTable meta = new LuaTable();
        meta.set(LuaValue.INDEX, new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key) {
                return switch (key.tojstring()) {
                    case "min_idle_connections" -> LuaValue.valueOf(pool.minIdle());
                    case "max_idle_connections" -> LuaValue.valueOf(pool.maxIdle());
                    case "users" -> users;
                    default -> NIL;
                };
            }
        });
        meta.set(LuaValue.NEWINDEX, new ThreeArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key, LuaValue value) {
                switch (key.tojstring()) {
                    case "min_idle_connections" -> pool.minIdle(value.checkint());
                    case "max_idle_connections" -> pool.maxIdle(value.checkint());
                    default -> throw new LuaError("backend.pool." + key.tojstring() + " is not writable");
                }
                return NONE;
            }
        });
        return new LuaUserdata(pool, meta);
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
                t.set("type", b.type().getAsInt());
                t.set("connected_clients", b.connectedClients().getAsInt());
                t.set("weight", b.weight());
                if (b.pool() != null) {
                    t.set("pool", pool(b.pool()));
                }
                LuaTable backendMeta = new LuaTable();
                backendMeta.set(LuaValue.INDEX, new TwoArgFunction() {
                    @Override
                    public LuaValue call(LuaValue self, LuaValue field) {
                        String name = field.tojstring();
                        if ("state".equals(name)) {
                            return LuaValue.valueOf(b.state().getAsInt());
                        }
                        if ("replication_lag".equals(name)) { // seconds behind the primary; nil when not known
                            long lag = b.replicationLag() == null ? -1 : b.replicationLag().getAsLong();
                            return lag < 0 ? NIL : LuaValue.valueOf(lag);
                        }
                        return t.get(field);
                    }
                });
                backendMeta.set(LuaValue.NEWINDEX, new ThreeArgFunction() {
                    @Override
                    public LuaValue call(LuaValue self, LuaValue field, LuaValue value) {
                        int state = value.checkint();
                        if (!"state".equals(field.tojstring()) || b.setState() == null) {
                            throw new LuaError("proxy.global.backends[" + i + "]." + field.tojstring()
                                    + " is not writable");
                        }
                        if (state < 0 || state > 3) {
                            throw new LuaError("proxy.global.backends[" + i + "].state " + state
                                    + " is not a proxy.BACKEND_STATE_*");
                        }
                        b.setState().accept(state);
                        return NONE;
                    }
                });
                return new LuaUserdata(b, backendMeta);
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
