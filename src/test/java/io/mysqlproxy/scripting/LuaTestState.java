package io.mysqlproxy.scripting;

import io.netty.util.concurrent.DefaultEventExecutor;

import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/** One Lua state as a scripting thread has it, for running snippets in unit tests. */
final class LuaTestState implements AutoCloseable {
    private final Script empty = new ScriptCompiler().compile("", "empty.lua", null);
    private final DefaultEventExecutor thread =
            new DefaultEventExecutor();
    private final LuaWorker worker;

    LuaTestState() {
        this(new SharedTable(), ScriptingOptions.DEFAULTS);
    }

    /** A state sharing {@code global} (proxy.global) with others, as the states of one scripting pool do. */
    LuaTestState(SharedTable global, ScriptingOptions options) {
        worker = new LuaWorker(thread, options, global, () -> empty, null);
    }

    /** Runs {@code lua} as a hook call would (with the budget) and returns its result as a string. */
    String run(String lua) {
        return worker.run(() -> worker.call(new LuaConnection(worker.globals()), empty,
                () -> worker.globals().load(lua, "test.lua").call().tojstring())).join();
    }

    /** The message of the error {@code lua} raises (a Lua error or an interruption), or "no error: " and its result. */
    String error(String lua) {
        try {
            return "no error: " + run(lua);
        } catch (CompletionException e) {
            return e.getCause().getMessage();
        }
    }

    @Override
    public void close() {
        thread.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
