package io.mysqlproxy.scripting;

/**
 * How scripts run.
 *
 * @param threads             Lua states (one thread each); 0 means one per event loop
 * @param sandbox             false gives trusted local scripts io, os, luajava, dofile and loadfile
 * @param maxInstructions     instructions one hook call may run (0: unlimited)
 * @param maxMillis           wall time one hook call may take (0: unlimited)
 * @param forwardOnHookError  MySQL Proxy's behaviour: on a hook error, forward the query instead of an ERR
 */
public record ScriptingOptions(int threads, boolean sandbox, long maxInstructions, long maxMillis,
                               boolean forwardOnHookError) {
    public static final ScriptingOptions DEFAULTS = new ScriptingOptions(0, true, 10_000_000, 5_000, false);
}
