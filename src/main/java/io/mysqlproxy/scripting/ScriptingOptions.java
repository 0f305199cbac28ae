package io.mysqlproxy.scripting;

/**
 * How scripts run.
 *
 * @param threads             Lua states (one thread each); 0 means one per event loop
 * @param sandbox             false gives trusted local scripts io, os, luajava, dofile and loadfile
 * @param maxInstructions     instructions one hook call may run (0: unlimited)
 * @param maxMillis           wall time one hook call may take (0: unlimited)
 * @param forwardOnHookError  MySQL Proxy's behaviour: on a hook error, forward the query instead of an ERR
 * @param maxAllocatedBytes   bytes one hook call may allocate (0: unlimited); also the longest string.rep result
 */
public record ScriptingOptions(int threads, boolean sandbox, long maxInstructions, long maxMillis,
                               boolean forwardOnHookError, long maxAllocatedBytes) {
    public static final long DEFAULT_MAX_ALLOCATED = 256L << 20;
    public static final ScriptingOptions DEFAULTS = new ScriptingOptions(0, true, 10_000_000, 5_000, false);

    public ScriptingOptions(int threads, boolean sandbox, long maxInstructions, long maxMillis,
                            boolean forwardOnHookError) {
        this(threads, sandbox, maxInstructions, maxMillis, forwardOnHookError, DEFAULT_MAX_ALLOCATED);
    }
}
