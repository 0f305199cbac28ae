package io.mysqlproxy.core;

import io.mysqlproxy.config.CanaryConfig;
import io.mysqlproxy.config.ScriptConfig;
import io.mysqlproxy.metrics.ListenerMetrics;
import io.mysqlproxy.scripting.Script;
import io.mysqlproxy.scripting.ScriptCompiler;
import io.mysqlproxy.scripting.ScriptException;
import io.mysqlproxy.scripting.ScriptRuntime;
import io.mysqlproxy.scripting.ScriptSession;
import io.mysqlproxy.scripting.ScriptStats;
import io.netty.util.concurrent.EventExecutor;
import org.jboss.logging.Logger;

import java.util.Objects;

/**
 * The Lua script of one listener: its scripting pool, and how a new version arrives. A file script is re-read
 * when the file changes (and on demand); an inline script (from a ConfigMap) is replaced by {@link #update}.
 * Either way a script that does not compile or whose top level fails is rejected and the running one stays.
 */
final class ListenerScript {
    private static final Logger LOG = Logger.getLogger(ListenerScript.class);
    /** How often a canary is judged, and its file looked at. */
    private static final long CANARY_TICK_MILLIS = 200;

    private final ScriptRuntime runtime;
    private final ScriptWatcher watcher;
    private final ProxyContext context;
    private final ListenerMetrics metrics;
    /** Removes the stable script's meters; null until {@link #begin}. */
    private Runnable meters;
    private volatile ScriptConfig config;
    /** The canary tried beside the script, or null. */
    private volatile CanaryScript canary;
    /** The canary file as last read (modification time and size): a change starts the canary again. */
    private String canaryStamp;
    private long canaryTimer = -1;

    private ListenerScript(ScriptConfig config, ScriptRuntime runtime, ScriptWatcher watcher, ProxyContext context,
                           ListenerMetrics metrics) {
        this.config = config;
        this.runtime = runtime;
        this.watcher = watcher;
        this.context = context;
        this.metrics = metrics;
    }

    /** Compiles and checks the script and starts its Lua threads; throws ScriptException when it is rejected. */
    static ListenerScript start(ScriptConfig config, ProxyContext context, ListenerMetrics metrics) {
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
        return new ListenerScript(config, runtime, watcher, context, metrics);
    }

    /**
     * The script starts serving the listener (the one it replaces has retired): its meters, and its canary if it
     * has one.
     */
    synchronized ListenerScript begin() {
        ScriptStats stats = runtime.stats();
        meters = metrics.scriptVersion("stable", stats::queries, stats::hookErrors, stats::refusals);
        if (config.canary() != null) {
            startCanary();
        }
        return this;
    }

    /** The canary's judging timer, started once a canary is configured. */
    private void startJudging() {
        if (canaryTimer < 0) {
            canaryTimer = context.vertx().setPeriodic(CANARY_TICK_MILLIS,
                    id -> context.vertx().executeBlocking(() -> {
                        canaryTick();
                        return null;
                    }, false));
        }
    }

    /** Starts the configured canary anew; one that is rejected is logged and the script runs alone. */
    private synchronized void startCanary() {
        startJudging();
        CanaryConfig wanted = config.canary();
        canaryStamp = stamp(wanted);
        CanaryScript old = canary;
        if (old != null) {
            old.close(); // first: its meters go before the new one's come; it shows until the new one replaces it
        }
        try {
            canary = CanaryScript.start(wanted, runtime, context.metrics(), metrics);
        } catch (ScriptException e) {
            LOG.errorf("canary script %s rejected, %s runs alone: %s", wanted.label(), runtime.current().name(),
                    e.getMessage());
            canary = null;
        }
    }

    /** Another canary was configured (or none): the one running ends, its connections go on with this script. */
    private synchronized void changeCanary() {
        if (config.canary() != null) {
            startCanary();
        } else {
            endCanary();
        }
    }

    /** The running canary, if any, ends: its connections go over to the stable script. */
    private void endCanary() {
        CanaryScript old = canary;
        canary = null;
        if (old != null) {
            old.close();
        }
    }

    /** A file canary's modification time and size (null for an inline one, or a file that cannot be read). */
    private static String stamp(CanaryConfig canary) {
        return canary.path() == null ? null : ScriptWatcher.stamp(canary.path());
    }

    /** Judges the canary; a change of its file starts it again, whether it was rolled back, promoted or running. */
    private synchronized void canaryTick() {
        CanaryConfig wanted = config.canary();
        if (wanted == null) {
            return;
        }
        String stamp = stamp(wanted);
        if (stamp != null && !stamp.equals(canaryStamp)) {
            startCanary();
            return;
        }
        CanaryScript c = canary;
        if (c != null) {
            c.judge();
        }
    }

    /** A new connection's script: the canary's or the stable one's. */
    ScriptSession attach(EventExecutor loop) {
        CanaryScript c = canary;
        return c != null ? c.attach(loop) : runtime.attach(loop);
    }

    /** The canary tried beside the script, or null. */
    CanaryScript canary() {
        return canary;
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
        boolean canaryChanged = !Objects.equals(next.canary(), config.canary());
        config = next; // only once installed: a rejected script leaves the running one's configuration
        if (canaryChanged) {
            changeCanary();
        }
        return runtime.current();
    }

    /** Re-reads a file script now; an inline one has nothing to re-read. */
    Script reload() {
        return watcher != null ? watcher.reload() : runtime.current();
    }

    /**
     * Replaced by another script: new connections no longer come, its canary ends (its connections go on with this
     * script), its meters go; the sessions still on it finish there.
     */
    synchronized void retire() {
        if (watcher != null) {
            watcher.stop();
        }
        if (canaryTimer >= 0) {
            context.vertx().cancelTimer(canaryTimer);
            canaryTimer = -1;
        }
        endCanary();
        if (meters != null) {
            meters.run();
            meters = null;
        }
    }

    void close() {
        retire();
        runtime.close();
    }
}
