package io.mysqlproxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.sql.PinReason;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;
import java.util.stream.LongStream;

/**
 * The meters of one listener, labelled {@code listener}; backend meters add {@code backend} (its address). What
 * the relay counts for every packet or command (bytes, commands, errors) goes to plain LongAdders that the registry
 * reads when scraped, because a registry counter per event cost a tenth of the proxy's CPU under load; counters of
 * commands are created on first use, one per command code.
 */
public final class ListenerMetrics {
    /**
     * Bucket bounds of the statement latency histogram: fewer than Micrometer's default (about 70) and a single
     * window, since Prometheus buckets are cumulative anyway; recording is on every statement's path.
     */
    static final Duration[] BUCKETS = LongStream.of(250, 500, 1_000, 2_500, 5_000, 10_000,
            25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 30_000_000)
            .mapToObj(Duration::ofNanos).map(d -> d.multipliedBy(1000)).toArray(Duration[]::new);

    private final MeterRegistry registry;
    private final String listener;
    private final LongAdder accepted = new LongAdder();
    private final Counter refusedMaxConnections;
    private final Counter refusedNoBackend;
    private final Counter refusedMaxLogins;
    private final LongAdder[] commands = new LongAdder[256];
    private final Timer queries;
    private final LongAdder queryErrors = new LongAdder();
    private final LongAdder clientBytes = new LongAdder();
    private final LongAdder backendBytes = new LongAdder();
    private final Counter failovers;
    private final Counter injected;
    private final Counter authFailures;
    private final Counter tlsOk;
    private final Counter tlsFailed;
    private final LongAdder borrowHits = new LongAdder();
    private final LongAdder borrowWaits = new LongAdder();
    private final LongAdder borrowTimeouts = new LongAdder();
    private final LongAdder replayed = new LongAdder();
    private final Counter[] pins = new Counter[PinReason.values().length];
    private final Counter[] replays = new Counter[Replay.values().length];

    /** What became of a transaction cut by the loss of its primary. */
    public enum Replay {
        STARTED, SUCCEEDED, FAILED;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    ListenerMetrics(MeterRegistry registry, String listener) {
        this.registry = registry;
        this.listener = listener;
        count("mysqlproxy.client.connections.accepted", accepted, null, "Client connections accepted");
        refusedMaxConnections = Counter.builder("mysqlproxy.client.connections.refused").tag("listener", listener)
                .tag("reason", "max_connections").description("Client connections refused, by reason")
                .register(registry);
        refusedNoBackend = Counter.builder("mysqlproxy.client.connections.refused").tag("listener", listener)
                .tag("reason", "no_backend").description("Client connections refused, by reason").register(registry);
        refusedMaxLogins = Counter.builder("mysqlproxy.client.connections.refused").tag("listener", listener)
                .tag("reason", "max_logins").description("Client connections refused, by reason").register(registry);
        queries = Timer.builder("mysqlproxy.query.duration").tag("listener", listener)
                .description("Statements (COM_QUERY, COM_STMT_EXECUTE) from the client's command to the end of the"
                        + " result")
                .serviceLevelObjectives(BUCKETS).distributionStatisticBufferLength(1).register(registry);
        count("mysqlproxy.query.errors", queryErrors, null, "Statements answered with an error");
        count("mysqlproxy.client.received", clientBytes, "bytes", "Bytes received from clients");
        count("mysqlproxy.backend.received", backendBytes, "bytes", "Bytes received from backends");
        failovers = counter("mysqlproxy.failovers",
                "Client logins that went to another backend because the chosen one could not be reached");
        injected = counter("mysqlproxy.injected.queries", "Queries read_query hooks sent instead of the client's (proxy.queries)");
        authFailures = counter("mysqlproxy.auth.failures", "Client logins the backend refused");
        tlsOk = Counter.builder("mysqlproxy.tls.handshakes").tag("listener", listener).tag("result", "ok")
                .description("TLS handshakes with clients").register(registry);
        multiplexingMeters();
        tlsFailed = Counter.builder("mysqlproxy.tls.handshakes").tag("listener", listener).tag("result", "failed")
                .description("TLS handshakes with clients").register(registry);
    }

    private void multiplexingMeters() {
        String borrows = "mysqlproxy.multiplexing.borrows";
        String what = "Backend connections multiplexed statements took from the pool: at once (hit), after waiting"
                + " (wait), or not in time (timeout)";
        FunctionCounter.builder(borrows, borrowHits, LongAdder::sum).tag("listener", listener).tag("result", "hit")
                .description(what).register(registry);
        FunctionCounter.builder(borrows, borrowWaits, LongAdder::sum).tag("listener", listener).tag("result", "wait")
                .description(what).register(registry);
        FunctionCounter.builder(borrows, borrowTimeouts, LongAdder::sum).tag("listener", listener)
                .tag("result", "timeout").description(what).register(registry);
        count("mysqlproxy.multiplexing.replays", replayed, null,
                "Commands the proxy ran to bring a borrowed connection to its client's session state");
        for (PinReason r : PinReason.values()) {
            pins[r.ordinal()] = Counter.builder("mysqlproxy.multiplexing.pins").tag("listener", listener)
                    .tag("reason", r.label())
                    .description("Multiplexed clients pinned to their backend connection, by reason")
                    .register(registry);
        }
        for (Replay r : Replay.values()) {
            replays[r.ordinal()] = Counter.builder("mysqlproxy.transaction.replays").tag("listener", listener)
                    .tag("result", r.label())
                    .description("Transactions cut by the loss of their primary: replays started, succeeded (the"
                            + " client went on) and failed (the client got an error)")
                    .register(registry);
        }
    }

    public void transactionReplay(Replay result) {
        replays[result.ordinal()].increment();
    }

    private void count(String name, LongAdder adder, String unit, String description) {
        FunctionCounter.builder(name, adder, LongAdder::sum).baseUnit(unit).tag("listener", listener)
                .description(description).register(registry);
    }

    private Counter counter(String name, String description) {
        return Counter.builder(name).tag("listener", listener).description(description).register(registry);
    }

    /** Multiplexing gauges of one backend, read live from its pool. */
    public <T> void multiplexingGauges(String backend, T pool, ToDoubleFunction<T> clients, ToDoubleFunction<T> inUse,
                                       ToDoubleFunction<T> opened) {
        Gauge.builder("mysqlproxy.multiplexing.clients", pool, clients).tag("listener", listener)
                .tag("backend", backend).description("Multiplexed client connections on the backend").register(registry);
        Gauge.builder("mysqlproxy.multiplexing.connections.in.use", pool, inUse).tag("listener", listener)
                .tag("backend", backend).description("Backend connections multiplexed clients hold now")
                .register(registry);
        Gauge.builder("mysqlproxy.multiplexing.connections.open", pool, opened).tag("listener", listener)
                .tag("backend", backend).description("Backend connections open for multiplexed listeners")
                .register(registry);
        Gauge.builder("mysqlproxy.multiplexing.ratio", pool,
                        p -> opened.applyAsDouble(p) == 0 ? 0 : clients.applyAsDouble(p) / opened.applyAsDouble(p))
                .tag("listener", listener).tag("backend", backend)
                .description("Multiplexed clients per open backend connection").register(registry);
    }

    /** Calls on a backend's pool that did not match its counts: each one a bug, ignored so the counts stay true. */
    public <T> void poolLedgerMismatches(String backend, T pool, ToDoubleFunction<T> mismatches) {
        FunctionCounter.builder("mysqlproxy.pool.ledger.mismatches", pool, mismatches).tag("listener", listener)
                .tag("backend", backend).description("Pool bookkeeping calls that did not match its counts (bugs)")
                .register(registry);
    }

    /** Gauges of the listener read live from {@code source}. */
    public <T> void listenerGauges(T source, ToDoubleFunction<T> connections) {
        Gauge.builder("mysqlproxy.client.connections", source, connections).tag("listener", listener)
                .description("Client connections open now").register(registry);
    }

    /**
     * Gauges of one backend read live: its clients, idle pooled connections, up or not, its state (one series per
     * state name, 1 for the current one), last check time.
     */
    public <T> void backendGauges(String backend, T source, ToDoubleFunction<T> connections,
                                  ToDoubleFunction<T> pooled, ToDoubleFunction<T> up,
                                  Function<T, String> state, List<String> states,
                                  ToDoubleFunction<T> checkSeconds) {
        for (String name : states) {
            Gauge.builder("mysqlproxy.backend.state", source, x -> name.equals(state.apply(x)) ? 1 : 0)
                    .tag("listener", listener).tag("backend", backend).tag("state", name)
                    .description("1 for the backend's current state (unknown, up, down, offline)").register(registry);
        }
        Gauge.builder("mysqlproxy.backend.connections", source, connections).tag("listener", listener)
                .tag("backend", backend).description("Client sessions connected to the backend").register(registry);
        Gauge.builder("mysqlproxy.backend.pooled.connections", source, pooled).tag("listener", listener)
                .tag("backend", backend).description("Idle backend connections kept in the pool").register(registry);
        Gauge.builder("mysqlproxy.backend.up", source, up).tag("listener", listener).tag("backend", backend)
                .description("1 when the backend takes new connections (up or not yet checked), else 0")
                .register(registry);
        Gauge.builder("mysqlproxy.backend.health.check.duration", source, checkSeconds).baseUnit("seconds")
                .tag("listener", listener).tag("backend", backend)
                .description("Duration of the last successful health check (-1 before the first)")
                .register(registry);
    }

    /** The replication lag of a read-only backend as the health check measured it (-1: not known). */
    public <T> void replicationLagGauge(String backend, T source, ToDoubleFunction<T> seconds) {
        Gauge.builder("mysqlproxy.backend.replication.lag", source, seconds).baseUnit("seconds")
                .tag("listener", listener).tag("backend", backend)
                .description("Seconds a read-only backend is behind its primary at the last health check (-1: not known)")
                .register(registry);
    }

    /** Statements read/write splitting sent to a backend, reads and the others. */
    public <T> void routedStatements(String backend, T source, ToDoubleFunction<T> reads, ToDoubleFunction<T> others) {
        FunctionCounter.builder("mysqlproxy.routing.statements", source, reads).tag("listener", listener)
                .tag("backend", backend).tag("kind", "read")
                .description("Statements read/write splitting sent to the backend: reads (kind=read), the rest (write)")
                .register(registry);
        FunctionCounter.builder("mysqlproxy.routing.statements", source, others).tag("listener", listener)
                .tag("backend", backend).tag("kind", "write")
                .description("Statements read/write splitting sent to the backend: reads (kind=read), the rest (write)")
                .register(registry);
    }

    /** Split reads that ran once more elsewhere because the backend was lost before answering them. */
    public <T> void readRetries(String backend, T source, ToDoubleFunction<T> retries) {
        FunctionCounter.builder("mysqlproxy.routing.read.retries", source, retries).tag("listener", listener)
                .tag("backend", backend)
                .description("Split reads that ran once more on another backend because this one was lost before"
                        + " answering them")
                .register(registry);
    }

    /** Causal reads' waits on a replica by how they ended, and the time they took in all. */
    public <T> void causalWaits(String backend, T source, Map<String, ToDoubleFunction<T>> byOutcome,
                                ToDoubleFunction<T> seconds) {
        byOutcome.forEach((outcome, count) -> FunctionCounter.builder("mysqlproxy.causal.reads.waits", source, count)
                .tag("listener", listener).tag("backend", backend).tag("outcome", outcome)
                .description("Causal reads that waited for the replica to apply a position: caught_up (the replica"
                        + " answered), timed_out and failed (the primary answered)")
                .register(registry));
        FunctionCounter.builder("mysqlproxy.causal.reads.wait", source, seconds).baseUnit("seconds")
                .tag("listener", listener).tag("backend", backend)
                .description("Time causal reads waited for the replica to apply a position")
                .register(registry);
    }

    /** Whether a backend takes the writes now (its role is read-write, configured or elected). */
    public <T> void primaryGauge(String backend, T source, ToDoubleFunction<T> primary) {
        Gauge.builder("mysqlproxy.backend.primary", source, primary).tag("listener", listener).tag("backend", backend)
                .description("1 while the backend takes new read-write connections (configured or elected), else 0")
                .register(registry);
    }

    /** How often the listener's primary changed among backends whose role follows their read_only. */
    public <T> void primaryChanges(T source, ToDoubleFunction<T> changes) {
        FunctionCounter.builder("mysqlproxy.primary.changes", source, changes).tag("listener", listener)
                .description("Times another backend with role auto became the primary (the first election included)")
                .register(registry);
    }

    /** Removes the meters of one backend (it was taken out of the listener). */
    public void removeBackend(String backend) {
        registry.getMeters().stream().filter(m -> listener.equals(m.getId().getTag("listener"))
                && backend.equals(m.getId().getTag("backend"))).forEach(registry::remove);
    }

    /** Removes this listener's meters from the registry (the listener closed). */
    /**
     * The figures of one version of the listener's script ({@code role} stable or canary) until the returned
     * action removes them: queries it saw, and its failures by kind (a Lua error in a hook, an error it answered).
     */
    public Runnable scriptVersion(String role, LongSupplier queries, LongSupplier hookErrors, LongSupplier refused) {
        List<Meter> meters = List.of(
                FunctionCounter.builder("mysqlproxy.script.queries", queries, LongSupplier::getAsLong)
                        .description("Queries (read_query calls) a version of the listener's script saw")
                        .tag("listener", listener).tag("role", role).register(registry),
                FunctionCounter.builder("mysqlproxy.script.failures", hookErrors, LongSupplier::getAsLong)
                        .description("Queries a version of the listener's script failed")
                        .tag("listener", listener).tag("role", role).tag("kind", "hook_error").register(registry),
                FunctionCounter.builder("mysqlproxy.script.failures", refused, LongSupplier::getAsLong)
                        .description("Queries a version of the listener's script failed")
                        .tag("listener", listener).tag("role", role).tag("kind", "refused").register(registry));
        return () -> meters.forEach(registry::remove);
    }

    /** A canary script ended: {@code outcome} rolled_back or promoted. */
    public void canaryEnded(String outcome) {
        Counter.builder("mysqlproxy.canary.outcomes").description("Canary scripts rolled back or promoted")
                .tag("listener", listener).tag("outcome", outcome).register(registry).increment();
    }

    public void remove() {
        registry.getMeters().stream().filter(m -> listener.equals(m.getId().getTag("listener")))
                .forEach(registry::remove);
    }

    public void accepted() {
        accepted.increment();
    }

    public void refusedMaxConnections() {
        refusedMaxConnections.increment();
    }

    public void refusedNoBackend() {
        refusedNoBackend.increment();
    }

    public void refusedMaxLogins() {
        refusedMaxLogins.increment();
    }

    /** Logins in progress and clients waiting for one. */
    public <T> void loginGauges(T source, ToDoubleFunction<T> inProgress, ToDoubleFunction<T> waiting) {
        Gauge.builder("mysqlproxy.logins.in.progress", source, inProgress).tag("listener", listener)
                .description("Client logins in progress now").register(registry);
        Gauge.builder("mysqlproxy.logins.waiting", source, waiting).tag("listener", listener)
                .description("Clients waiting for a login to end before theirs starts").register(registry);
    }

    public void command(int code) {
        LongAdder c = commands[code & 0xFF];
        if (c == null) {
            c = newCommandCounter(code & 0xFF);
        }
        c.increment();
    }

    private synchronized LongAdder newCommandCounter(int code) {
        if (commands[code] == null) {
            LongAdder adder = new LongAdder();
            FunctionCounter.builder("mysqlproxy.commands", adder, LongAdder::sum).tag("listener", listener)
                    .tag("command", Commands.name(code).toLowerCase(Locale.ROOT))
                    .description("Commands received from clients, by type").register(registry);
            commands[code] = adder;
        }
        return commands[code];
    }

    public void query(long nanos, boolean error) {
        queries.record(nanos, TimeUnit.NANOSECONDS);
        if (error) {
            queryErrors.increment();
        }
    }

    public void clientBytes(int n) {
        clientBytes.add(n);
    }

    public void backendBytes(int n) {
        backendBytes.add(n);
    }

    public void failover() {
        failovers.increment();
    }

    public void injected(int n) {
        injected.increment(n);
    }

    public void authFailed() {
        authFailures.increment();
    }

    public void tlsHandshake(boolean ok) {
        (ok ? tlsOk : tlsFailed).increment();
    }

    public void multiplexBorrowed(boolean waited) {
        (waited ? borrowWaits : borrowHits).increment();
    }

    public void multiplexWaitTimedOut() {
        borrowTimeouts.increment();
    }

    public void multiplexReplayed(int commands) {
        replayed.add(commands);
    }

    public void multiplexPinned(PinReason reason) {
        pins[reason.ordinal()].increment();
    }
}
