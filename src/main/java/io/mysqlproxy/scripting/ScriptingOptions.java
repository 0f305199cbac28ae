package io.mysqlproxy.scripting;

import java.util.List;
import java.util.Set;

/**
 * How scripts run.
 *
 * @param threads             Lua states (one thread each); 0 means one per event loop
 * @param sandbox             false gives trusted local scripts io, os, luajava, dofile and loadfile
 * @param maxInstructions     instructions (and units of library work) one hook call may run (0: unlimited)
 * @param maxMillis           wall time one hook call may take (0: unlimited)
 * @param forwardOnHookError  MySQL Proxy's behaviour: on a hook error, forward the query instead of an ERR
 * @param maxAllocatedBytes   bytes one hook call may allocate (0: unlimited)
 * @param luaPath             MySQL Proxy's {@code --lua-path}: templates ({@code /dir/?.lua}) of files require may
 *                            load besides the script's own modules
 * @param allowedEnv          environment variables {@code os.getenv} may read in the sandbox
 */
public record ScriptingOptions(int threads, boolean sandbox, long maxInstructions, long maxMillis,
                               boolean forwardOnHookError, long maxAllocatedBytes, List<String> luaPath,
                               Set<String> allowedEnv) {
    public static final long DEFAULT_MAX_ALLOCATED = 256L << 20;
    public static final ScriptingOptions DEFAULTS = new ScriptingOptions(0, true, 10_000_000, 5_000, false);

    public ScriptingOptions {
        luaPath = List.copyOf(luaPath);
        allowedEnv = Set.copyOf(allowedEnv);
    }

    public ScriptingOptions(int threads, boolean sandbox, long maxInstructions, long maxMillis,
                            boolean forwardOnHookError, long maxAllocatedBytes) {
        this(threads, sandbox, maxInstructions, maxMillis, forwardOnHookError, maxAllocatedBytes, List.of(), Set.of());
    }

    public ScriptingOptions(int threads, boolean sandbox, long maxInstructions, long maxMillis,
                            boolean forwardOnHookError) {
        this(threads, sandbox, maxInstructions, maxMillis, forwardOnHookError, DEFAULT_MAX_ALLOCATED);
    }

    /** The same options with {@code os.getenv} allowed to read {@code names}. */
    public ScriptingOptions withAllowedEnv(Set<String> names) {
        return new ScriptingOptions(threads, sandbox, maxInstructions, maxMillis, forwardOnHookError,
                maxAllocatedBytes, luaPath, names);
    }
}
