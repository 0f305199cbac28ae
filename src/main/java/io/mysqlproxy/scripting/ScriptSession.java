package io.mysqlproxy.scripting;

import org.jboss.logging.Logger;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A connection's access to its script: each method runs the hook on the connection's scripting thread and
 * completes there with a {@link HookOutcome}; the caller moves back to its event loop itself.
 */
public final class ScriptSession {
    private static final Logger LOG = Logger.getLogger(ScriptSession.class);
    // the keys of read_query_result's argument, made once: the table is built for every injected command
    private static final LuaValue ID = LuaValue.valueOf("id");
    private static final LuaValue TYPE = LuaValue.valueOf("type");
    private static final LuaValue QUERY = LuaValue.valueOf("query");
    private static final LuaValue QUERY_TIME = LuaValue.valueOf("query_time");
    private static final LuaValue RESPONSE_TIME = LuaValue.valueOf("response_time");
    private static final LuaValue RESULTSET = LuaValue.valueOf("resultset");

    private ScriptRuntime runtime;
    private LuaWorker worker;
    /** For a canary's connection, the stable script's runtime it goes over to when the canary is retired. */
    private ScriptRuntime stable;
    private LuaConnection lua;
    private volatile long knownGeneration = -1;
    private volatile boolean hasReadQuery;
    private volatile boolean hasDisconnect;

    ScriptSession(ScriptRuntime runtime, LuaWorker worker, ScriptRuntime stable) {
        this.runtime = runtime;
        this.worker = worker;
        this.stable = stable;
    }

    /**
     * A canary's connection whose canary was rolled back or promoted goes over to the stable script, in a fresh Lua
     * environment on the same thread. Asked where a command or a login step starts, on the connection's thread.
     */
    private void followRetirement() {
        if (stable != null && runtime.retired()) {
            runtime = stable;
            worker = stable.workerOn(worker.thread());
            stable = null;
            lua = null;
            knownGeneration = -1;
        }
    }

    /** Whether the connection runs a canary script now. */
    public boolean onCanary() {
        return stable != null && !runtime.retired();
    }

    /** True when a command needs no hook call: the script defines no {@code read_query} and has not changed. */
    public boolean skipsReadQuery() {
        followRetirement();
        return knownGeneration == runtime.current().generation() && !hasReadQuery
                || !runtime.defines("read_query");
    }

    /** True when the script has a {@code connect_server} hook to call for a new connection. */
    public boolean hasConnectServer() {
        followRetirement();
        return runtime.defines("connect_server");
    }

    public CompletableFuture<HookOutcome> readQuery(ConnectionInfo info, byte[] packet) {
        followRetirement();
        runtime.stats().queried();
        return callHook("read_query", info, () -> LuaValue.valueOf(packet));
    }

    /** {@code connect_server()}: the script may pick a backend or answer the client itself (no backend at all). */
    public CompletableFuture<HookOutcome> connectServer(ConnectionInfo info) {
        Script script = runtime.current();
        long asked = System.nanoTime();
        return worker.run(() -> worker.call(connection(), script, () -> timed("connect_server", asked, () -> {
            LuaConnection c = prepare(info, script);
            if (c == null) {
                return HookOutcome.failed("MySQL Proxy Lua script failed to execute. Check the error log.", true);
            }
            LuaValue function = c.hook("connect_server");
            if (!function.isfunction()) {
                return new HookOutcome(HookOutcome.NO_DECISION, List.of(), List.of(), null, false, false);
            }
            try {
                LuaValue ret = function.call();
                HookOutcome o = decide("connect_server", ret, c, info);
                return c.withPicks(new HookOutcome(o.action(), o.queries(), o.response(), o.error(),
                        o.error() != null, o.close()));
            } catch (LuaError | ScriptInterrupted | StackOverflowError | OutOfMemoryError e) {
                HookOutcome o = hookError("connect_server", info, e, List.of());
                return c.withPicks(new HookOutcome(o.action(), o.queries(), o.response(), o.error(),
                        o.error() != null, false));
            }
        })));
    }

    /** True when the script defines {@code hook}, so the session must stop and call it. */
    public boolean has(String hook) {
        return runtime.defines(hook);
    }

    /** {@code read_handshake()}: the backend's greeting arrived; the script may refuse the client. */
    public CompletableFuture<HookOutcome> readHandshake(ConnectionInfo info) {
        return callHook("read_handshake", info, () -> LuaValue.NIL);
    }

    /** {@code read_auth()}: the client's login arrived; the script may refuse it or replace the auth packet. */
    public CompletableFuture<HookOutcome> readAuth(ConnectionInfo info) {
        return callHook("read_auth", info, () -> LuaValue.NIL);
    }

    /** {@code read_auth_result(auth)}: the backend accepted or refused the login; {@code auth.packet} is its reply. */
    public CompletableFuture<HookOutcome> readAuthResult(ConnectionInfo info, byte[] reply) {
        return callHook("read_auth_result", info, () -> {
            LuaTable auth = new LuaTable();
            auth.set("packet", LuaValue.valueOf(reply));
            return auth;
        });
    }

    /**
     * Calls {@code hook} with the argument {@code arg} makes, with a fresh {@code proxy.response} and an empty
     * {@code proxy.queries}; no hook means no decision.
     */
    private CompletableFuture<HookOutcome> callHook(String hook, ConnectionInfo info,
                                                    Supplier<LuaValue> arg) {
        Script script = runtime.current();
        long asked = System.nanoTime();
        return worker.run(() -> worker.call(connection(), script, () -> timed(hook, asked, () -> {
            LuaConnection c = prepare(info, script);
            if (c == null) {
                return HookOutcome.failed("MySQL Proxy Lua script failed to execute. Check the error log.", true);
            }
            LuaValue function = c.hook(hook);
            if (!function.isfunction()) {
                return new HookOutcome(HookOutcome.NO_DECISION, List.of(), List.of(), null, false, false);
            }
            c.resetResponse();
            c.queries().set(List.of());
            try {
                return c.withPicks(decide(hook, function.call(arg.get()), c, info));
            } catch (LuaError | ScriptInterrupted | StackOverflowError | OutOfMemoryError e) {
                return c.withPicks(hookError(hook, info, e, List.of()));
            }
        })));
    }

    public CompletableFuture<HookOutcome> readQueryResult(ConnectionInfo info, InjectionResult result,
                                                          List<InjectionRequest> remaining) {
        Script script = runtime.current();
        long asked = System.nanoTime();
        return worker.run(() -> worker.call(connection(), script, () -> timed("read_query_result", asked, () -> {
            LuaConnection c = connection();
            c.info(info);
            LuaValue function = c.hook("read_query_result");
            if (!function.isfunction()) {
                return new HookOutcome(HookOutcome.NO_DECISION, remaining, List.of(), null, false, false);
            }
            c.queries().set(remaining);
            LuaTable inj = new LuaTable(0, 8);
            LuaValue id = LuaValue.valueOf(result.request().id());
            inj.rawset(ID, id);
            inj.rawset(TYPE, id);
            inj.rawset(QUERY, LuaValue.valueOf(result.request().packet()));
            inj.rawset(QUERY_TIME, LuaValue.valueOf(result.queryMicros()));
            inj.rawset(RESPONSE_TIME, LuaValue.valueOf(result.responseMicros()));
            inj.rawset(RESULTSET, ResultSetView.of(result, info));
            try {
                LuaValue ret = function.call(inj);
                return c.withPicks(decide("read_query_result", ret, c, info));
            } catch (LuaError | ScriptInterrupted | StackOverflowError | OutOfMemoryError e) {
                return c.withPicks(hookError("read_query_result", info, e, c.takeQueries()));
            }
        })));
    }

    private <T> T timed(String hook, long asked, Supplier<T> call) {
        try {
            return call.get();
        } finally {
            runtime.observer().hookCalled(hook, System.nanoTime() - asked);
        }
    }

    /** Calls {@code disconnect_client} if the script has one; the connection is gone, so nothing is returned. */
    public void disconnect(ConnectionInfo info) {
        if (!hasDisconnect) {
            return;
        }
        Script script = runtime.current();
        worker.run(() -> worker.call(connection(), script, () -> {
            LuaConnection c = connection();
            c.info(info);
            try {
                LuaValue function = c.hook("disconnect_client");
                if (function.isfunction()) {
                    function.call();
                }
            } catch (LuaError | ScriptInterrupted | StackOverflowError | OutOfMemoryError e) {
                runtime.observer().hookFailed("disconnect_client");
                LOG.warnf("session %d: Lua error in disconnect_client of %s: %s", info.sessionId(),
                        runtime.current().name(), LuaErrors.withTraceback(e));
            }
            return null;
        }));
    }

    private LuaConnection connection() {
        if (lua == null) {
            lua = new LuaConnection(worker.globals());
        }
        return lua;
    }

    private LuaConnection prepare(ConnectionInfo info, Script script) {
        LuaConnection c = connection();
        c.info(info);
        try {
            c.ensure(script);
        } catch (ScriptException e) {
            LOG.errorf("session %d: %s", info.sessionId(), e.getMessage());
            return null;
        }
        hasReadQuery = c.hasHook("read_query");
        hasDisconnect = c.hasHook("disconnect_client");
        knownGeneration = script.generation();
        return c;
    }

    private HookOutcome decide(String hook, LuaValue ret, LuaConnection c, ConnectionInfo info) {
        int action = ret.isnumber() ? ret.toint() : HookOutcome.NO_DECISION;
        List<InjectionRequest> queries = c.takeQueries();
        boolean close = c.closeRequested();
        try {
            if (action == HookOutcome.SEND_RESULT) {
                List<byte[]> response = ResponseEncoder.encode(c.response(), info, worker.budget());
                if (hook.equals("read_query") && !response.isEmpty() && response.get(0).length > 0
                        && (response.get(0)[0] & 0xFF) == 0xFF) {
                    runtime.stats().refused();
                }
                return new HookOutcome(action, queries, response, null, false, close);
            }
        } catch (LuaError | ScriptInterrupted e) {
            return hookError(hook, info, e, queries);
        }
        if (action == HookOutcome.SEND_QUERY && queries.isEmpty() && hook.equals("read_query")) {
            return hookError(hook, info, new LuaError("returned proxy.PROXY_SEND_QUERY with an empty proxy.queries"),
                    queries);
        }
        return new HookOutcome(action, queries, List.of(), null, false, close);
    }

    private HookOutcome hookError(String hook, ConnectionInfo info, Throwable e, List<InjectionRequest> queries) {
        runtime.observer().hookFailed(hook);
        runtime.stats().hookFailed();
        LOG.warnf("session %d: Lua error in %s of %s: %s", info.sessionId(), hook, runtime.current().name(),
                LuaErrors.withTraceback(e));
        if (runtime.options().forwardOnHookError()) {
            return new HookOutcome(HookOutcome.NO_DECISION, queries, List.of(), null, false, false);
        }
        return new HookOutcome(HookOutcome.NO_DECISION, queries, List.of(), "mysqlproxy: Lua error in " + hook + ": "
                + LuaErrors.message(e), false, false);
    }
}
