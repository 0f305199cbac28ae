package io.mysqlproxy.scripting;

import org.luaj.vm2.LuaError;

/**
 * The instruction, time and allocation budget of the hook call running on one scripting thread. Reset before every
 * call; charged by the Lua count hook. Allocation is what the scripting thread allocated since the call began (the
 * JVM counts it per thread), so a script that builds huge tables or strings is stopped like one that loops.
 */
final class Budget {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    private final long maxInstructions;
    private final long maxNanos;
    private final long maxAllocated;
    private long used;
    private long deadline;
    private long allocatedAtStart;

    Budget(long maxInstructions, long maxMillis, long maxAllocated) {
        this.maxInstructions = maxInstructions;
        this.maxNanos = maxMillis * 1_000_000;
        this.maxAllocated = maxAllocated > 0 && THREADS.isThreadAllocatedMemorySupported() ? maxAllocated : 0;
    }

    void reset() {
        used = 0;
        deadline = maxNanos > 0 ? System.nanoTime() + maxNanos : Long.MAX_VALUE;
        if (maxAllocated > 0) {
            allocatedAtStart = THREADS.getCurrentThreadAllocatedBytes();
        }
    }

    /** The most a single string may take (string.rep): the allocation budget. */
    long maxAllocated() {
        return maxAllocated;
    }

    void charge(long instructions) {
        used += instructions;
        if (maxInstructions > 0 && used > maxInstructions) {
            throw new LuaError("script interrupted: more than " + maxInstructions + " instructions in one hook call");
        }
        if (System.nanoTime() - deadline > 0) {
            throw new LuaError("script interrupted: a hook call ran longer than " + maxNanos / 1_000_000 + " ms");
        }
        if (maxAllocated > 0 && THREADS.getCurrentThreadAllocatedBytes() - allocatedAtStart > maxAllocated) {
            throw new LuaError("script interrupted: a hook call allocated more than " + (maxAllocated >> 20) + " MiB");
        }
    }
}
