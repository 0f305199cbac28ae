package io.mysqlproxy.scripting;

import org.jboss.logging.Logger;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.TwoArgFunction;
import org.luaj.vm2.lib.VarArgFunction;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;

/**
 * MySQL Proxy's {@code chassis} module, which its scripts require: {@code log(level, message)} and its shortcuts
 * through the proxy's logger ({@code io.mysqlproxy.scripting.lua}), {@code get_stats()} with the memory figures that
 * mean something here, and {@code set_shutdown()}, which a script may call but which does not stop the proxy: a
 * script (delivered by a ConfigMap, say) must not be able to take a proxy down; it is stopped with SIGTERM.
 */
final class ChassisLib {
    private static final Logger LOG = Logger.getLogger("io.mysqlproxy.scripting.lua");

    private ChassisLib() {
    }

    static LuaTable create(Budget budget) {
        LuaTable chassis = new LuaTable();
        chassis.set("log", new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue level, LuaValue message) {
                log(level.checkjstring(), message.tojstring());
                return NONE;
            }
        });
        for (String level : new String[] {"error", "critical", "warning", "message", "info", "debug"}) {
            chassis.set(level, new OneArgFunction() {
                @Override
                public LuaValue call(LuaValue message) {
                    log(level, message.tojstring());
                    return NONE;
                }
            });
        }
        chassis.set("set_shutdown", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                LOG.warn("a script called chassis.set_shutdown(): ignored, a script cannot stop the proxy "
                        + "(stop it with SIGTERM)");
                return NONE;
            }
        });
        chassis.set("get_stats", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
                LuaTable figures = new LuaTable();
                figures.set("lua_mem_bytes", LuaValue.valueOf(budget.allocatedSoFar()));
                figures.set("lua_mem_bytes_max", LuaValue.valueOf(budget.maxAllocated()));
                figures.set("heap_bytes", LuaValue.valueOf(heap.getUsed()));
                figures.set("heap_bytes_max", LuaValue.valueOf(heap.getMax()));
                LuaTable stats = new LuaTable();
                stats.set("chassis", figures);
                return stats;
            }
        });
        return chassis;
    }

    private static void log(String level, String message) {
        switch (level) {
            case "error", "critical" -> LOG.error(message);
            case "warning" -> LOG.warn(message);
            case "message", "info" -> LOG.info(message);
            case "debug" -> LOG.debug(message);
            default -> throw new LuaError("chassis.log: unknown level '" + level
                    + "' (error, critical, warning, message, info, debug)");
        }
    }
}
