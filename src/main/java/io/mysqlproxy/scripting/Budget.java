package io.mysqlproxy.scripting;

import org.luaj.vm2.LuaError;

/**
 * The instruction and time budget of the hook call running on one scripting thread. Reset before every call;
 * charged by the Lua count hook.
 */
final class Budget {
    private final long maxInstructions;
    private final long maxNanos;
    private long used;
    private long deadline;

    Budget(long maxInstructions, long maxMillis) {
        this.maxInstructions = maxInstructions;
        this.maxNanos = maxMillis * 1_000_000;
    }

    void reset() {
        used = 0;
        deadline = maxNanos > 0 ? System.nanoTime() + maxNanos : Long.MAX_VALUE;
    }

    void charge(long instructions) {
        used += instructions;
        if (maxInstructions > 0 && used > maxInstructions) {
            throw new LuaError("script interrupted: more than " + maxInstructions + " instructions in one hook call");
        }
        if (System.nanoTime() - deadline > 0) {
            throw new LuaError("script interrupted: a hook call ran longer than " + maxNanos / 1_000_000 + " ms");
        }
    }
}
