package io.mysqlproxy.scripting;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one script version did with the queries it saw ({@code read_query} calls): how many failed, by a Lua error
 * in any of its hooks or by an error the script answered itself. A canary is judged by these against the stable
 * script's.
 */
public final class ScriptStats {
    private final LongAdder queries = new LongAdder();
    private final LongAdder hookErrors = new LongAdder();
    private final LongAdder refusals = new LongAdder();
    private final LongAdder connections = new LongAdder();

    void queried() {
        queries.increment();
    }

    void hookFailed() {
        hookErrors.increment();
    }

    void refused() {
        refusals.increment();
    }

    void connected() {
        connections.increment();
    }

    public long queries() {
        return queries.sum();
    }

    public long hookErrors() {
        return hookErrors.sum();
    }

    /** Queries the script answered with an error packet of its own. */
    public long refusals() {
        return refusals.sum();
    }

    /** Connections that started on this version. */
    public long connections() {
        return connections.sum();
    }

    /** Hook errors and refusals. */
    public long failures() {
        return hookErrors() + refusals();
    }
}
