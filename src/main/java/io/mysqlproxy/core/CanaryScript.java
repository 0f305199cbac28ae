package io.mysqlproxy.core;

import io.mysqlproxy.config.CanaryConfig;
import io.mysqlproxy.metrics.ListenerMetrics;
import io.mysqlproxy.scripting.HookObserver;
import io.mysqlproxy.scripting.Script;
import io.mysqlproxy.scripting.ScriptCompiler;
import io.mysqlproxy.scripting.ScriptRuntime;
import io.mysqlproxy.scripting.ScriptSession;
import io.mysqlproxy.scripting.ScriptStats;
import io.netty.util.concurrent.EventExecutor;
import org.jboss.logging.Logger;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A new version of a listener's script tried on a share of its new connections ({@code --proxy-lua-canary-script}),
 * in Lua states of its own on the stable script's threads. Judged against the stable script over the same time:
 * once it has seen its minimum of queries, a failure rate (hook errors and errors it answered, per query) higher
 * than the stable one's by more than the allowed margin rolls it back; after its promotion delay it becomes the
 * stable script. Either way its connections go on with the stable script from their next command.
 */
final class CanaryScript {
    private static final Logger LOG = Logger.getLogger(CanaryScript.class);

    /** Where a canary stands. */
    enum State {
        RUNNING, ROLLED_BACK, PROMOTED;

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }
    }

    private final CanaryConfig config;
    private final ListenerMetrics metrics;
    private final Runnable meters;
    private final ScriptRuntime runtime;
    private final ScriptRuntime stable;
    private final long startedNanos = System.nanoTime();
    /** The stable script's figures when the canary started: it is judged against what came after. */
    private final long stableQueriesBefore;
    private final long stableFailuresBefore;
    private final AtomicLong connections = new AtomicLong();
    private volatile State state = State.RUNNING;
    private volatile String verdict = "";

    private CanaryScript(CanaryConfig config, ScriptRuntime runtime, ScriptRuntime stable, ListenerMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        ScriptStats stats = runtime.stats();
        this.meters = metrics.scriptVersion("canary", stats::queries, stats::hookErrors, stats::refusals);
        this.runtime = runtime;
        this.stable = stable;
        this.stableQueriesBefore = stable.stats().queries();
        this.stableFailuresBefore = stable.stats().failures();
    }

    /** Compiles and checks the canary; throws ScriptException when it is rejected (the stable script runs alone). */
    static CanaryScript start(CanaryConfig config, ScriptRuntime stable, HookObserver observer,
                              ListenerMetrics metrics) {
        ScriptCompiler compiler = new ScriptCompiler();
        Script script = config.path() != null ? compiler.compileFile(config.path())
                : compiler.compileInline(config.name(), config.source(), config.modules());
        ScriptRuntime runtime = new ScriptRuntime(stable, script, observer);
        try {
            runtime.check(script);
        } catch (RuntimeException e) {
            runtime.close();
            throw e;
        }
        LOG.infof("canary script %s (%s) runs on %d %% of new connections beside %s (%s)", script.name(),
                script.checksum(), config.weightPercent(), stable.current().name(), stable.current().checksum());
        return new CanaryScript(config, runtime, stable, metrics);
    }

    /**
     * A new connection's script: the canary for its share of connections while it runs (every n-th one, so that
     * the share holds from the first connections on), else the stable script.
     */
    ScriptSession attach(EventExecutor loop) {
        if (state == State.RUNNING) {
            long n = connections.getAndIncrement();
            if ((n + 1) * config.weightPercent() / 100 > n * config.weightPercent() / 100) {
                return runtime.attach(loop, stable);
            }
        }
        return stable.attach(loop);
    }

    /** Looks at the figures: rolls the canary back or promotes it when it is time. Called periodically. */
    void judge() {
        if (state != State.RUNNING) {
            return;
        }
        ScriptStats canary = runtime.stats();
        long queries = canary.queries();
        if (queries < config.minQueries()) {
            return;
        }
        double canaryRate = (double) canary.failures() / queries;
        long stableQueries = stable.stats().queries() - stableQueriesBefore;
        double stableRate = stableQueries == 0 ? 0
                : (double) (stable.stats().failures() - stableFailuresBefore) / stableQueries;
        if (canaryRate > stableRate + config.maxErrorRate()) {
            verdict = String.format("failed %d of %d queries (%.2f %%: %d hook errors, %d refused) against the"
                            + " stable script's %.2f %% of %d; at most %.2f %% more is allowed", canary.failures(), queries,
                    100 * canaryRate, canary.hookErrors(), canary.refusals(), 100 * stableRate, stableQueries,
                    100 * config.maxErrorRate());
            end(State.ROLLED_BACK);
            LOG.warnf("canary script %s (%s) rolled back: it %s; its connections go on with %s (%s)",
                    runtime.current().name(), runtime.current().checksum(), verdict, stable.current().name(),
                    stable.current().checksum());
            return;
        }
        long runningMillis = (System.nanoTime() - startedNanos) / 1_000_000;
        if (config.promoteAfterMillis() > 0 && runningMillis >= config.promoteAfterMillis()) {
            Script promoted = runtime.current();
            stable.check(promoted);
            stable.install(promoted);
            verdict = String.format("failed %d of %d queries (%.2f %%) against the stable script's %.2f %%, after"
                    + " %d s", canary.failures(), queries, 100 * canaryRate, 100 * stableRate, runningMillis / 1000);
            end(State.PROMOTED);
            LOG.infof("canary script %s (%s) promoted: it %s; every connection runs it from its next command",
                    promoted.name(), promoted.checksum(), verdict);
        }
    }

    private void end(State outcome) {
        state = outcome;
        runtime.retire();
        metrics.canaryEnded(outcome.name().toLowerCase(Locale.ROOT));
    }

    State state() {
        return state;
    }

    /** Why it was rolled back or promoted, with the figures; empty while it runs. */
    String verdict() {
        return verdict;
    }

    CanaryConfig config() {
        return config;
    }

    ScriptRuntime runtime() {
        return runtime;
    }

    /** Its meters and Lua states go (the threads are the stable script's); its connections go over to the stable. */
    void close() {
        runtime.retire();
        meters.run();
        runtime.close();
    }
}
