package io.mysqlproxy.scripting;

import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaThread;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.TwoArgFunction;
import org.luaj.vm2.lib.VarArgFunction;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

/**
 * Bounds what the standard library does in one call. A function that builds a value in one step (string.rep,
 * table.concat, string.format, upper and lower, unpack) is checked against the allocation budget before it builds
 * it; one that works through a large value in Java (sorting, shifting a table, compiling a chunk) is charged for
 * that work, so the time budget sees it; {@code load} with an environment table of the script's own still runs
 * under the budget; and a Lua state may keep only so many unfinished coroutines (each is a Java thread in LuaJ).
 */
final class LibraryLimits {
    /** Values one call may return at most (unpack, string.byte), as Lua's own stack limit. */
    static final int MAX_RESULTS = 1_000_000;
    /** Started, unfinished coroutines one Lua state may keep (a coroutine has a thread from its first resume). */
    static final int MAX_COROUTINES = 100;

    private LibraryLimits() {
    }

    static void install(Globals g, Budget budget) {
        strings(g.get("string").checktable(), budget);
        tables(g.get("table").checktable(), budget);
        load(g, budget);
        coroutines(g.get("coroutine").checktable());
        LuaPatterns.install(g.get("string"), budget);
    }

    private static void strings(LuaTable string, Budget budget) {
        LuaValue rep = string.get("rep");
        string.set("rep", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                double n = Math.max(0, args.checknumber(2).todouble());
                double size = args.checkstring(1).length() * n
                        + args.optstring(3, LuaValue.EMPTYSTRING).length() * Math.max(0, n - 1);
                budget.reserve(size, "string.rep's result of " + (long) size + " bytes");
                budget.work((long) size >> 5);
                return rep.invoke(args);
            }
        });
        for (String name : new String[] {"upper", "lower", "reverse"}) {
            LuaValue f = string.get(name);
            string.set(name, new OneArgFunction() {
                @Override
                public LuaValue call(LuaValue s) {
                    int length = s.checkstring().length();
                    budget.reserve(length, "string." + name + "'s result of " + length + " bytes");
                    budget.work(length >> 5);
                    return f.call(s);
                }
            });
        }
        LuaValue format = string.get("format");
        string.set("format", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                double size = args.checkstring(1).length();
                for (int i = 2; i <= args.narg(); i++) {
                    LuaValue v = args.arg(i);
                    size += v.type() == LuaValue.TSTRING ? 2.0 * v.rawlen() : 128; // %q may double a string
                }
                budget.reserve(size, "string.format's result of up to " + (long) size + " bytes");
                budget.work((long) size >> 5);
                return format.invoke(args);
            }
        });
        LuaValue byteFunction = string.get("byte");
        string.set("byte", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                LuaString s = args.checkstring(1);
                long from = args.optlong(2, 1);
                long to = args.optlong(3, from);
                from = from < 0 ? s.length() + from + 1 : from;
                to = to < 0 ? s.length() + to + 1 : Math.min(to, s.length());
                long count = to - Math.max(1, from) + 1;
                if (count > MAX_RESULTS) {
                    throw new LuaError("string slice too long");
                }
                budget.work(Math.max(0, count) >> 3);
                return byteFunction.invoke(args);
            }
        });
    }

    private static void tables(LuaTable table, Budget budget) {
        LuaValue concat = table.get("concat");
        table.set("concat", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                LuaTable t = args.checktable(1);
                LuaString sep = args.optstring(2, LuaValue.EMPTYSTRING);
                long from = args.optlong(3, 1);
                long to = args.isnil(4) ? t.length() : args.checklong(4);
                double size = 0;
                for (long i = from; i <= to; i++) {
                    LuaValue v = t.get(LuaValue.valueOf(i));
                    if (!v.isstring()) {
                        break; // the library reports the bad element
                    }
                    size += (v.type() == LuaValue.TSTRING ? v.rawlen() : 24) + (i < to ? sep.length() : 0);
                    if ((i & 1023) == 0) {
                        budget.work(1024);
                        budget.reserve(size, "table.concat's result of " + (long) size + " bytes or more");
                    }
                }
                budget.reserve(size, "table.concat's result of " + (long) size + " bytes");
                budget.work((long) size >> 5);
                return concat.invoke(args);
            }
        });
        for (String name : new String[] {"insert", "remove"}) {
            LuaValue f = table.get(name);
            table.set(name, new VarArgFunction() {
                @Override
                public Varargs invoke(Varargs args) {
                    budget.work(args.checktable(1).length() >> 3); // the elements after the position move
                    return f.invoke(args);
                }
            });
        }
        LuaValue sort = table.get("sort");
        table.set("sort", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                LuaTable t = args.checktable(1);
                budget.work(t.length());
                LuaValue comparator = args.isnil(2) ? new TwoArgFunction() {
                    @Override
                    public LuaValue call(LuaValue a, LuaValue b) {
                        budget.work(1);
                        return valueOf(a.lt_b(b));
                    }
                } : args.checkfunction(2);
                return sort.invoke(LuaValue.varargsOf(t, comparator));
            }
        });
        LuaValue unpack = table.get("unpack");
        table.set("unpack", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                LuaTable t = args.checktable(1);
                long from = args.optlong(2, 1);
                long to = args.isnil(3) ? t.length() : args.checklong(3);
                long count = to - from + 1;
                if (count > MAX_RESULTS) {
                    throw new LuaError("too many results to unpack");
                }
                budget.work(Math.max(0, count) >> 3);
                return unpack.invoke(args);
            }
        });
    }

    /**
     * {@code load}: compiling is charged by the chunk's size, and an environment table given by the script becomes a
     * {@link Globals} environment that reads and writes that table, because LuaJ runs the budget's hooks only for
     * closures whose environment is a Globals.
     */
    private static void load(Globals g, Budget budget) {
        LuaValue load = g.get("load");
        g.set("load", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                LuaValue chunk = args.arg1();
                LuaValue name = args.arg(2);
                if (chunk.isstring()) {
                    budget.work(chunk.length() >> 3);
                    if (name.isnil()) {
                        name = LuaValue.valueOf(LuaErrors.chunkId(chunk.tojstring())); // as Lua names it
                    }
                }
                LuaValue env = args.arg(4);
                if (!env.isnil() && !(env instanceof Globals)) {
                    LuaTable wrapped = LuaSandbox.environment(g, env);
                    wrapped.getmetatable().set(LuaValue.NEWINDEX, env);
                    env = wrapped;
                }
                return load.invoke(LuaValue.varargsOf(new LuaValue[] {chunk, name, args.arg(3), env}));
            }
        });
    }

    private static boolean started(LuaThread t) {
        return t != null && t.state.status != LuaThread.STATUS_INITIAL && t.state.status != LuaThread.STATUS_DEAD;
    }

    /**
     * coroutine.create and wrap, counting the started, unfinished coroutines of this Lua state. One the script
     * dropped counts until the garbage collector has noticed.
     */
    private static void coroutines(LuaTable coroutine) {
        LuaValue create = coroutine.get("create");
        List<WeakReference<LuaThread>> live = new ArrayList<>();
        OneArgFunction limitedCreate = new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue f) {
                live.removeIf(r -> r.get() == null || r.get().state.status == LuaThread.STATUS_DEAD);
                if (live.stream().filter(r -> started(r.get())).count() >= MAX_COROUTINES) {
                    throw new LuaError("too many coroutines: a Lua state keeps at most " + MAX_COROUTINES
                            + " unfinished ones");
                }
                LuaThread t = (LuaThread) create.call(f);
                live.add(new WeakReference<>(t));
                return t;
            }
        };
        coroutine.set("create", limitedCreate);
        coroutine.set("wrap", new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue f) {
                LuaThread t = (LuaThread) limitedCreate.call(f);
                return new VarArgFunction() {
                    @Override
                    public Varargs invoke(Varargs args) {
                        Varargs r = t.resume(args);
                        if (r.arg1().toboolean()) {
                            return r.subargs(2);
                        }
                        throw new LuaError(r.arg(2).tojstring());
                    }
                };
            }
        });
    }
}
