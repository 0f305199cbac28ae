package io.mysqlproxy.core;

import io.mysqlproxy.config.ScriptConfig;
import io.mysqlproxy.scripting.Script;
import io.mysqlproxy.scripting.ScriptCompiler;
import io.mysqlproxy.scripting.ScriptRuntime;
import io.netty.util.concurrent.EventExecutor;

import java.util.Objects;

/**
 * The Lua script of one listener: its scripting pool, and how a new version arrives. A file script is re-read
 * when the file changes (and on demand); an inline script (from a ConfigMap) is replaced by {@link #update}.
 * Either way a script that does not compile or whose top level fails is rejected and the running one stays.
 */
final class ListenerScript {
    private final ScriptRuntime runtime;
    private final ScriptWatcher watcher;
    private volatile ScriptConfig config;

    private ListenerScript(ScriptConfig config, ScriptRuntime runtime, ScriptWatcher watcher) {
        this.config = config;
        this.runtime = runtime;
        this.watcher = watcher;
    }

    /** Compiles and checks the script and starts its Lua threads; throws ScriptException when it is rejected. */
    static ListenerScript start(ScriptConfig config, ProxyContext context) {
        Script initial = compile(config);
        int loops = 0;
        for (EventExecutor ignored : context.transport().eventLoops()) {
            loops++;
        }
        // the Lua threads are event loops: the listener registers scripted connections with them
        ScriptRuntime runtime = new ScriptRuntime(config.options(), loops, initial, context.metrics(), null,
                n -> context.transport().newEventLoops(n, "lua"));
        try {
            runtime.check(initial);
        } catch (RuntimeException e) {
            runtime.close();
            throw e;
        }
        ScriptWatcher watcher = config.path() == null ? null : new ScriptWatcher(context.vertx(), runtime,
                config.path());
        return new ListenerScript(config, runtime, watcher);
    }

    private static Script compile(ScriptConfig config) {
        ScriptCompiler compiler = new ScriptCompiler();
        return config.path() != null ? compiler.compileFile(config.path())
                : compiler.compileInline(config.name(), config.source(), config.modules());
    }

    ScriptRuntime runtime() {
        return runtime;
    }

    /** True when {@code next} can be installed in this pool (same threads and sandbox), not only in a new one. */
    boolean canTake(ScriptConfig next) {
        return next.options().equals(config.options()) && Objects.equals(next.path(), config.path());
    }

    /** Installs {@code next} for the next command of every connection, unless it is the running version. */
    Script update(ScriptConfig next) {
        Script compiled = compile(next);
        if (!compiled.checksum().equals(runtime.current().checksum())) {
            runtime.check(compiled);
            runtime.install(compiled);
        }
        config = next; // only once installed: a rejected script leaves the running one's configuration
        return runtime.current();
    }

    /** Re-reads a file script now; an inline one has nothing to re-read. */
    Script reload() {
        return watcher != null ? watcher.reload() : runtime.current();
    }

    void close() {
        if (watcher != null) {
            watcher.stop();
        }
        runtime.close();
    }
}
