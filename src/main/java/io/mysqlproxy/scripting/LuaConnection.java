package io.mysqlproxy.scripting;

import io.mysqlproxy.protocol.ServerStatus;
import io.mysqlproxy.sql.PinReason;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaClosure;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaUserdata;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.ThreeArgFunction;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The Lua side of one client connection, living on the scripting thread the connection is pinned to: its own
 * environment (the script body runs once per connection, so top-level locals and globals are per connection), and
 * its {@code proxy.connection}, {@code proxy.queries} and {@code proxy.response}.
 */
final class LuaConnection {
    /** The hook names as Lua strings, made once: hooks are looked up on every call. */
    private static final Map<String, LuaValue> HOOK_KEYS = ScriptRuntime.HOOKS.stream()
            .collect(Collectors.toUnmodifiableMap(h -> h, LuaValue::valueOf));
    private final Globals globals;
    private final InjectionQueue queries = new InjectionQueue();
    private final LuaValue queriesObject = queries.toLua();
    private LuaTable env;
    private long generation = -1;
    private LuaValue response = new LuaTable();
    private ConnectionInfo info;
    private LuaValue connectionObject;
    private boolean closeRequested;
    private int pickedBackend = HookOutcome.UNCHANGED;
    private int pickedExtraBackend = HookOutcome.UNCHANGED;
    private Boolean pin;

    LuaConnection(Globals globals) {
        this.globals = globals;
    }

    /** Runs the script body for this connection if it has not run yet or a newer script was installed. */
    void ensure(Script script) {
        if (generation == script.generation()) {
            return;
        }
        LuaTable e = LuaSandbox.environment(globals, globals);
        try {
            new LuaClosure(script.prototype(), e).call();
        } catch (LuaError | ScriptInterrupted | StackOverflowError err) {
            throw new ScriptException("Lua script " + script.name() + " failed to execute: "
                    + LuaErrors.withTraceback(err), err);
        }
        env = e;
        generation = script.generation();
    }

    boolean hasHook(String name) {
        return hook(name).isfunction();
    }

    /** The hook's current value (nil when the script has none), looked up once per call: a script may set it late. */
    LuaValue hook(String name) {
        return env == null ? LuaValue.NIL : env.get(key(name));
    }

    private static LuaValue key(String hook) {
        LuaValue k = HOOK_KEYS.get(hook);
        return k != null ? k : LuaValue.valueOf(hook);
    }

    void info(ConnectionInfo value) {
        info = value;
        connectionObject = null;
    }

    ConnectionInfo info() {
        return info;
    }

    InjectionQueue queries() {
        return queries;
    }

    LuaValue queriesObject() {
        return queriesObject;
    }

    LuaValue response() {
        return response;
    }

    void response(LuaValue value) {
        response = value;
    }

    void resetResponse() {
        response = new LuaTable();
    }

    /** The hook's outcome with the backends and the pin the script wrote during the call (which resets them). */
    HookOutcome withPicks(HookOutcome o) {
        HookOutcome picked = o.withPicks(pickedBackend, pickedExtraBackend, pin);
        pickedBackend = HookOutcome.UNCHANGED;
        pickedExtraBackend = HookOutcome.UNCHANGED;
        pin = null;
        return picked;
    }

    boolean closeRequested() {
        return closeRequested;
    }

    LuaValue connectionObject() {
        if (connectionObject == null) {
            connectionObject = buildConnectionObject();
        }
        return connectionObject;
    }

    private LuaValue buildConnectionObject() {
        ConnectionInfo i = info;
        LuaTable client = new LuaTable();
        client.set("src", ProxyApi.address(i.clientSrc()));
        client.set("dst", ProxyApi.address(i.clientDst()));
        client.set("username", str(i.username()));
        client.set("default_db", str(i.defaultDb()));
        client.set("auth_plugin_name", str(i.authPlugin()));
        client.set("scrambled_password", i.scrambledPassword() == null ? LuaValue.NIL
                : LuaValue.valueOf(i.scrambledPassword()));
        client.set("thread_id", i.threadId());
        client.set("mysqld_version", i.mysqldVersion());
        LuaTable server = new LuaTable();
        server.set("src", ProxyApi.address(i.serverSrc()));
        server.set("dst", ProxyApi.address(i.serverDst()));
        server.set("default_db", str(i.defaultDb()));
        server.set("username", str(i.username()));
        server.set("thread_id", i.threadId());
        server.set("mysqld_version", i.mysqldVersion());
        server.set("scramble_buffer", i.scramble() == null ? LuaValue.NIL : LuaValue.valueOf(i.scramble()));
        // not in MySQL Proxy: the transaction state the last result reported, for routing scripts
        server.set("in_trans", LuaValue.valueOf((i.serverStatus() & ServerStatus.IN_TRANS) != 0));
        server.set("autocommit", LuaValue.valueOf((i.serverStatus() & ServerStatus.AUTOCOMMIT) != 0));
        LuaTable fields = new LuaTable();
        fields.set("client", readOnly(client, "proxy.connection.client"));
        fields.set("server", i.serverDst() == null ? LuaValue.NIL : readOnly(server, "proxy.connection.server"));
        fields.set("backend_ndx", i.backendNdx());
        fields.set("extra_backend_ndx", i.extraBackendNdx());
        fields.set("thread_id", i.threadId());
        fields.set("mysqld_version", i.mysqldVersion());
        fields.set("default_db", str(i.defaultDb()));
        // not in MySQL Proxy: why the backend connection is this client's alone (multiplexing), or nil
        fields.set("pinned", str(i.pinned()));
        LuaTable meta = new LuaTable();
        meta.set(LuaValue.INDEX, fields);
        meta.set(LuaValue.NEWINDEX, new ThreeArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key, LuaValue value) {
                if ("connection_close".equals(key.tojstring())) {
                    closeRequested = value.checkboolean();
                    return NONE;
                }
                String name = key.tojstring();
                if ("pinned".equals(name)) {
                    pin(fields, value);
                    return NONE;
                }
                if ("backend_ndx".equals(name) || "extra_backend_ndx".equals(name)) {
                    int ndx = value.checkint();
                    if (ndx < 0 || ndx > info.backends().size()) {
                        throw new LuaError("proxy.connection." + name + " " + ndx + " is out of range (0.."
                                + info.backends().size() + ")");
                    }
                    if ("backend_ndx".equals(name)) {
                        pickedBackend = ndx;
                    } else {
                        pickedExtraBackend = ndx;
                    }
                    fields.set(name, ndx);
                    return NONE;
                }
                throw new LuaError("proxy.connection." + key.tojstring() + " is not writable");
            }
        });
        return new LuaUserdata(i, meta);
    }

    /**
     * {@code proxy.connection.pinned = true} (or a reason text) keeps the client on its backend connection;
     * {@code false} or nil lifts that again. Pins for session state stay whatever the script writes.
     */
    private void pin(LuaTable fields, LuaValue value) {
        if (!value.isnil() && !value.isboolean() && !value.isstring()) {
            throw new LuaError("proxy.connection.pinned takes true, false or a reason text, not a " + value.typename());
        }
        boolean on = value.toboolean();
        pin = on;
        LuaValue now = fields.get("pinned");
        if (on && now.isnil()) {
            fields.set("pinned", PinReason.SCRIPT.label());
        } else if (!on && now.isstring() && PinReason.SCRIPT.label().equals(now.tojstring())) {
            fields.set("pinned", LuaValue.NIL);
        }
    }

    private static LuaValue readOnly(LuaTable fields, String what) {
        LuaTable meta = new LuaTable();
        meta.set(LuaValue.INDEX, fields);
        meta.set(LuaValue.NEWINDEX, new ThreeArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key, LuaValue value) {
                throw new LuaError(what + "." + key.tojstring() + " is not writable");
            }
        });
        return new LuaUserdata(fields, meta);
    }

    private static LuaValue str(String s) {
        return s == null ? LuaValue.NIL : LuaValue.valueOf(s);
    }

    /** The pending injections as a Java list. */
    List<InjectionRequest> takeQueries() {
        return queries.drain();
    }

}
