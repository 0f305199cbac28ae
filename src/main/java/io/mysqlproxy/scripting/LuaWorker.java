package io.mysqlproxy.scripting;

import io.netty.util.concurrent.EventExecutor;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * One scripting thread and the Lua state it owns. Connections pinned to it run their hooks here one at a time, so
 * nothing Lua-side needs locking; a hook that blocks delays only this thread's connections. When the thread is the
 * event loop of the connections pinned to it, their hooks run without a thread hop.
 */
final class LuaWorker {
    /** The connection whose hook runs on the current thread, for what is shared between Lua states. */
    static final ThreadLocal<LuaConnection> CURRENT = new ThreadLocal<>();
    private final EventExecutor thread;
    private Budget budget;
    private Globals globals;
    private LuaConnection current;
    private Set<LuaValue> builtinModules;
    private long modulesGeneration = -1;

    LuaWorker(EventExecutor thread, ScriptingOptions options, SharedTable global, Supplier<Script> script,
              AdminApi admin) {
        this.thread = thread;
        run(() -> {
            budget = new Budget(options.maxInstructions(), options.maxMillis(), options.maxAllocatedBytes(),
                    Thread.currentThread());
            globals = LuaSandbox.create(options, budget,
                    ModuleSource.of(script, options.luaPath()));
            LuaValue proxy = ProxyApi.create(global, () -> current);
            LuaValue tokenizerHelpers = globals.get("package").get("loaded").get("proxy.tokenizer");
            proxy.rawset("tokenizer", tokenizerHelpers); // where module("proxy.tokenizer") put it in 0.8
            proxy.rawset("tokenize", tokenizerHelpers.get("tokenize"));
            globals.set("proxy", proxy);
            if (admin != null) {
                globals.set("admin", AdminLib.create(admin));
            }
            builtinModules = keys(globals.get("package").get("loaded").checktable());
            return null;
        }).join();
    }

    Globals globals() {
        return globals;
    }

    EventExecutor thread() {
        return thread;
    }

    /** How long the hook call running now has run, in nanoseconds (0: none runs). Any thread may ask. */
    long runningNanos() {
        return budget.runningNanos();
    }

    Budget budget() {
        return budget;
    }

    /** Runs {@code work} on this thread: at once when called there, else queued. */
    <T> CompletableFuture<T> run(Supplier<T> work) {
        if (!thread.inEventLoop()) {
            return CompletableFuture.supplyAsync(work, thread);
        }
        try {
            return CompletableFuture.completedFuture(work.get());
        } catch (RuntimeException | Error e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** On this thread: runs {@code work} as a hook call of {@code connection}, within the budget. */
    <T> T call(LuaConnection connection, Script script, Supplier<T> work) {
        if (script.generation() != modulesGeneration) {
            forgetModules(); // a new script: its modules are required afresh
            modulesGeneration = script.generation();
        }
        current = connection;
        CURRENT.set(connection);
        budget.reset();
        try {
            return work.get();
        } finally {
            budget.finished();
            current = null;
            CURRENT.remove();
        }
    }

    private void forgetModules() {
        LuaTable loaded = globals.get("package").get("loaded").checktable();
        for (LuaValue k : keys(loaded)) {
            if (!builtinModules.contains(k)) {
                loaded.set(k, LuaValue.NIL);
            }
        }
    }

    private static Set<LuaValue> keys(LuaTable t) {
        Set<LuaValue> out = new HashSet<>();
        LuaValue k = LuaValue.NIL;
        while (true) {
            Varargs n = t.next(k);
            k = n.arg1();
            if (k.isnil()) {
                return out;
            }
            out.add(k);
        }
    }
}
