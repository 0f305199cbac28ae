package io.mysqlproxy.scripting;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * The scripting pool: one Lua state per scripting thread, no global lock, the script installed in all of them, and
 * {@code proxy.global} shared by all. A new script replaces the old one behind one reference: a command already
 * running finishes under the script it started with, the next command of every connection runs the new one.
 * The scripting threads are made by the caller: a listener gives event loops, so that its connections live on the
 * thread of their Lua state and call hooks without a thread hop.
 */
public final class ScriptRuntime {
    private static final Logger LOG = Logger.getLogger(ScriptRuntime.class);

    private final ScriptingOptions options;
    private final HookObserver observer;
    private final AtomicReference<Script> script = new AtomicReference<>();
    private final SharedTable global = new SharedTable();
    private final EventExecutorGroup threads;
    /** False for a canary's runtime, which runs on the stable script's threads. */
    private final boolean ownsThreads;
    private final ScriptStats stats = new ScriptStats();
    /** A canary rolled back or promoted: its connections go on with the stable script from their next command. */
    private volatile boolean retired;
    private final List<LuaWorker> workers = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    private final Map<Long, Set<String>> hooks = new ConcurrentHashMap<>();
    private volatile Defined defined;
    static final List<String> HOOKS = List.of("connect_server", "read_handshake", "read_auth", "read_auth_result",
            "read_query", "read_query_result", "disconnect_client");

    public ScriptRuntime(ScriptingOptions options, int eventLoops, Script initial) {
        this(options, eventLoops, initial, HookObserver.NONE, null);
    }

    /**
     * @param observer told of hook calls and script changes
     * @param admin    the proxy's state for an admin script (the global {@code admin}), or null for a proxy script
     */
    public ScriptRuntime(ScriptingOptions options, int eventLoops, Script initial, HookObserver observer,
                         AdminApi admin) {
        this(options, eventLoops, initial, observer, admin,
                n -> new DefaultEventExecutorGroup(n, new DefaultThreadFactory("lua", true)));
    }

    /** @param threads makes the given number of scripting threads, one per Lua state */
    public ScriptRuntime(ScriptingOptions options, int eventLoops, Script initial, HookObserver observer,
                         AdminApi admin, IntFunction<? extends EventExecutorGroup> threads) {
        this.options = options;
        this.observer = observer;
        this.script.set(initial);
        sealGlobal();
        this.threads = threads.apply(options.threads() > 0 ? options.threads() : Math.max(1, eventLoops));
        this.ownsThreads = true;
        for (EventExecutor thread : this.threads) {
            workers.add(new LuaWorker(thread, options, global, this.script::get, admin));
        }
        LOG.infof("scripting: %d Lua threads, script %s (%s)%s", workers.size(), initial.name(), initial.checksum(),
                options.sandbox() ? "" : ", sandbox off");
    }

    /**
     * A canary's runtime: Lua states of its own (and its own {@code proxy.global}) for {@code initial}, on the
     * threads of {@code stable}, so that a connection can go over to the stable script on the thread it lives on.
     */
    public ScriptRuntime(ScriptRuntime stable, Script initial, HookObserver observer) {
        this.options = stable.options;
        this.observer = observer;
        this.script.set(initial);
        sealGlobal();
        this.threads = stable.threads;
        this.ownsThreads = false;
        for (EventExecutor thread : this.threads) {
            workers.add(new LuaWorker(thread, options, global, this.script::get, null));
        }
        LOG.infof("scripting: canary script %s (%s) on the %d Lua threads of %s", initial.name(),
                initial.checksum(), workers.size(), stable.current().name());
    }

    /** {@code proxy.global} as scripts find it: an empty sealed {@code config} and the backends view. */
    private void sealGlobal() {
        SharedTable config = new SharedTable();
        config.seal();
        global.rawset("config", config);
        global.setmetatable(BackendsView.metatable());
        global.seal();
    }

    /** What this runtime's scripts did with their queries. */
    public ScriptStats stats() {
        return stats;
    }

    /** From now on every connection of this runtime goes on with the stable script at its next command. */
    public void retire() {
        retired = true;
    }

    public boolean retired() {
        return retired;
    }

    public Script current() {
        return script.get();
    }

    HookObserver observer() {
        return observer;
    }

    public ScriptingOptions options() {
        return options;
    }

    /** Installs a compiled script for the next command of every connection. */
    public void install(Script next) {
        Script old = script.getAndSet(next);
        observer.scriptSwapped();
        LOG.infof("script %s replaced: %s -> %s", next.name(), old.checksum(), next.checksum());
    }

    /**
     * Runs the script's top level once in a scratch environment, so that a script whose top level raises is
     * rejected before any connection sees it.
     */
    public void check(Script candidate) {
        LuaWorker worker = workers.get(0);
        try {
            worker.run(() -> worker.call(new LuaConnection(worker.globals()), candidate, () -> {
                LuaConnection scratch = new LuaConnection(worker.globals());
                scratch.ensure(candidate);
                Set<String> defined = new HashSet<>();
                for (String h : HOOKS) {
                    if (scratch.hasHook(h)) {
                        defined.add(h);
                    }
                }
                hooks.put(candidate.generation(), Set.copyOf(defined));
                return null;
            })).join();
        } catch (CompletionException e) {
            observer.scriptRejected();
            throw e.getCause() instanceof ScriptException s ? s : new ScriptException(e.getCause().getMessage(), e);
        }
    }

    /**
     * Whether the current script defines {@code hook} at its top level (as seen when it was checked), so that
     * connections skip hooks a script does not have without a call to the scripting thread.
     */
    public boolean defines(String hook) {
        long generation = script.get().generation();
        Defined d = defined;
        if (d == null || d.generation != generation) {
            Set<String> known = hooks.get(generation);
            if (known == null) {
                return true; // not checked yet: the connection asks its Lua state
            }
            d = new Defined(generation, known);
            defined = d;
        }
        return d.hooks.contains(hook);
    }

    /** The hooks of the installed script, kept so that a command asks no map (several times) which ones it has. */
    private record Defined(long generation, Set<String> hooks) {
    }

    /** The scripting threads when they are event loops a connection can be registered with, else null. */
    public EventLoopGroup eventLoops() {
        return threads instanceof EventLoopGroup loops ? loops : null;
    }

    /**
     * A connection's handle, pinned to the Lua state whose thread is {@code loop} (the connection's event loop) when
     * there is one, else to one taken round robin.
     */
    public ScriptSession attach(EventExecutor loop) {
        return attach(loop, null);
    }

    /** The same for a canary's connection, which goes over to {@code stable} once this runtime is retired. */
    public ScriptSession attach(EventExecutor loop, ScriptRuntime stable) {
        stats.connected();
        return new ScriptSession(this, workerOn(loop), stable);
    }

    /** The Lua state on {@code loop}'s thread, else one taken round robin. */
    LuaWorker workerOn(EventExecutor loop) {
        for (LuaWorker worker : workers) {
            if (worker.thread() == loop) {
                return worker;
            }
        }
        return workers.get(Math.floorMod(next.getAndIncrement(), workers.size()));
    }

    public int threads() {
        return workers.size();
    }

    /** How much longer than its time budget a hook call may run before its Lua thread counts as stuck. */
    static final long STUCK_GRACE_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** How long a hook call may run, without a time budget, before its Lua thread counts as stuck. */
    static final long STUCK_WITHOUT_BUDGET_NANOS = TimeUnit.SECONDS.toNanos(60);

    /**
     * The Lua threads whose hook call has run past its time budget by more than {@link #STUCK_GRACE_NANOS} (the
     * budget failed to stop it: liveness must fail so that the pod is restarted), each described in a line.
     */
    public List<String> stuckThreads() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < workers.size(); i++) {
            Budget budget = workers.get(i).budget();
            long running = budget.runningNanos();
            long limit = budget.maxNanos() > 0 ? budget.maxNanos() + STUCK_GRACE_NANOS : STUCK_WITHOUT_BUDGET_NANOS;
            if (running > limit) {
                out.add(String.format("Lua thread %d of script %s has run one hook call for %d s (time budget %s)",
                        i, current().name(), TimeUnit.NANOSECONDS.toSeconds(running),
                        budget.maxNanos() > 0 ? TimeUnit.NANOSECONDS.toMillis(budget.maxNanos()) + " ms" : "none"));
            }
        }
        return out;
    }

    /** Stops the scripting threads once what is queued on them has run (connections on them are closed by then). */
    public void close() {
        if (ownsThreads) {
            threads.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        }
    }
}
