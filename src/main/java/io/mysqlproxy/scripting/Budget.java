package io.mysqlproxy.scripting;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;

/**
 * The instruction, time and allocation budget of the hook call running in one Lua state. Reset before every call;
 * charged for every Lua instruction (by {@link BudgetHooks}) and for the work library functions do in Java (pattern
 * matching, building strings and tables), so that a call spending its time inside one library function is stopped
 * like a loop is. Values a call is about to build are checked against the allocation budget before they are built.
 * <p>
 * Once a call has been interrupted it stays interrupted until the next call begins: every further instruction and
 * every further charge raises {@link ScriptInterrupted} again, so nothing that caught the first one (a coroutine's
 * body, an {@code xpcall} message handler, which LuaJ runs under a catch-all) lets the call go on.
 * <p>
 * Allocation is what the threads of the call allocated since it began (the JVM counts it per thread): the Lua
 * state's own thread, and the threads LuaJ runs coroutines on.
 */
final class Budget {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    /** Units of work (instructions, or library work) between two checks of the clock and the allocation. */
    static final int CHECK_INTERVAL = 1000;
    /** Values smaller than this are not checked one by one: the periodic check sees what they add up to. */
    static final long SMALL_VALUE = 4096;

    private final long maxInstructions;
    private final long maxNanos;
    private final long maxAllocated;
    private final Thread owner;
    /** Allocation counters of coroutine threads when the call first ran on them. */
    private final Map<Thread, Long> otherThreadsAtStart = new HashMap<>();
    private long used;
    private int untilCheck;
    private long deadline;
    private long allocatedAtStart;
    private long otherThreadsAllocated;
    /** Why the running call was interrupted, or null. */
    private volatile String interrupted;
    /** When the running call began (System.nanoTime), or 0 between calls. */
    private volatile long callStarted;

    Budget(long maxInstructions, long maxMillis, long maxAllocated, Thread owner) {
        this.maxInstructions = maxInstructions;
        this.maxNanos = maxMillis * 1_000_000;
        this.maxAllocated = maxAllocated > 0 && THREADS.isThreadAllocatedMemorySupported() ? maxAllocated : 0;
        this.owner = owner;
        reset();
        callStarted = 0;
    }

    /** A hook call begins. */
    void reset() {
        used = 0;
        untilCheck = CHECK_INTERVAL;
        interrupted = null;
        long now = System.nanoTime();
        deadline = maxNanos > 0 ? now + maxNanos : Long.MAX_VALUE;
        callStarted = now == 0 ? 1 : now;
        otherThreadsAtStart.clear();
        otherThreadsAllocated = 0;
        if (THREADS.isThreadAllocatedMemorySupported()) {
            allocatedAtStart = THREADS.getCurrentThreadAllocatedBytes();
        }
    }

    /** The hook call ended. */
    void finished() {
        callStarted = 0;
    }

    /** How long the running hook call has run, in nanoseconds, or 0 between calls. Any thread may ask. */
    long runningNanos() {
        long started = callStarted;
        return started == 0 ? 0 : Math.max(1, System.nanoTime() - started);
    }

    /** The wall time one call may take, in nanoseconds (0: unlimited). */
    long maxNanos() {
        return maxNanos;
    }

    /** The most one call may allocate, in bytes (0: unlimited). */
    long maxAllocated() {
        return maxAllocated;
    }

    /** One Lua instruction. */
    void instruction() {
        if (interrupted != null) {
            throw new ScriptInterrupted(interrupted);
        }
        used++;
        if (--untilCheck <= 0) {
            check();
        }
    }

    /** {@code units} of work done in Java by a library function, each about as costly as an instruction. */
    void work(long units) {
        if (interrupted != null) {
            throw new ScriptInterrupted(interrupted);
        }
        used += units;
        untilCheck -= (int) Math.min(units, CHECK_INTERVAL);
        if (untilCheck <= 0) {
            check();
        }
    }

    /** Interrupts the call now unless it may allocate {@code bytes} more (a value about to be built). */
    void reserve(double bytes, String what) {
        if (interrupted != null) {
            throw new ScriptInterrupted(interrupted);
        }
        if (maxAllocated > 0 && (bytes >= SMALL_VALUE || bytes < 0) && allocated() + bytes > maxAllocated) {
            interrupt(what + " would make the hook call allocate more than " + mib(maxAllocated));
        }
        if (bytes >= Integer.MAX_VALUE - 8) {
            interrupt(what + " would be larger than the largest value a Lua state can hold (2 GiB)");
        }
    }

    private void check() {
        untilCheck = CHECK_INTERVAL;
        if (maxInstructions > 0 && used > maxInstructions) {
            interrupt("more than " + maxInstructions + " instructions in one hook call");
        }
        if (System.nanoTime() - deadline > 0) {
            interrupt("a hook call ran longer than " + maxNanos / 1_000_000 + " ms");
        }
        if (maxAllocated > 0 && allocated() > maxAllocated) {
            interrupt("a hook call allocated more than " + mib(maxAllocated));
        }
    }

    /** Bytes the running call allocated so far (0 where the JVM does not count them). */
    long allocatedSoFar() {
        return THREADS.isThreadAllocatedMemorySupported() ? allocated() : 0;
    }

    /** Bytes the call's threads allocated since it began. */
    private long allocated() {
        Thread current = Thread.currentThread();
        long now = THREADS.getCurrentThreadAllocatedBytes();
        if (current == owner) {
            return now - allocatedAtStart + otherThreadsAllocated;
        }
        // a coroutine's thread: what it allocated since it first ran in this call, added to the owner's count
        long start = otherThreadsAtStart.computeIfAbsent(current, t -> now);
        long mine = now - start;
        otherThreadsAtStart.put(current, now);
        otherThreadsAllocated += mine;
        return THREADS.getThreadAllocatedBytes(owner.getId()) - allocatedAtStart + otherThreadsAllocated;
    }

    private void interrupt(String why) {
        String message = "script interrupted: " + why;
        interrupted = message;
        throw new ScriptInterrupted(message);
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }
}
