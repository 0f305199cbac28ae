package io.mysqlproxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mysqlproxy.scripting.HookObserver;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The meters of one running proxy that belong to no listener: Lua hooks, script swaps, the admin interface, and
 * the query digests. Names follow Prometheus conventions once the registry renders them
 * ({@code mysqlproxy_lua_hook_duration_seconds}, ...); label values come from bounded sets only.
 */
public final class ProxyMetrics implements HookObserver {
    private static final List<String> HOOKS = List.of("connect_server", "read_handshake", "read_auth",
            "read_auth_result", "read_query", "read_query_result", "disconnect_client");

    private final MeterRegistry registry;
    private final QueryDigests digests;
    private final Map<String, Timer> hookTimers = new ConcurrentHashMap<>();
    private final Map<String, Counter> hookErrors = new ConcurrentHashMap<>();
    private final Counter scriptSwaps;
    private final Counter scriptRejections;
    private final Counter adminLogins;
    private final Counter adminLoginFailures;

    public ProxyMetrics(MeterRegistry registry, QueryDigests digests) {
        this.registry = registry;
        this.digests = digests;
        for (String hook : HOOKS) {
            hookTimers.put(hook, Timer.builder("mysqlproxy.lua.hook.duration")
                    .description("Time Lua hook calls took, queueing for the scripting thread included")
                    .tag("hook", hook).serviceLevelObjectives(ListenerMetrics.BUCKETS)
                    .distributionStatisticBufferLength(1).register(registry));
            hookErrors.put(hook, Counter.builder("mysqlproxy.lua.hook.errors")
                    .description("Lua hook calls that raised an error").tag("hook", hook).register(registry));
        }
        scriptSwaps = Counter.builder("mysqlproxy.script.swaps").description("Lua scripts installed while running")
                .register(registry);
        scriptRejections = Counter.builder("mysqlproxy.script.rejections")
                .description("New Lua scripts rejected (compile or load error); the old one kept running")
                .register(registry);
        adminLogins = Counter.builder("mysqlproxy.admin.logins").tag("result", "ok")
                .description("Logins to the admin interface").register(registry);
        adminLoginFailures = Counter.builder("mysqlproxy.admin.logins").tag("result", "denied")
                .description("Logins to the admin interface").register(registry);
    }

    /** Meters that go nowhere, for proxies started without a registry (tests, embedding). */
    public static ProxyMetrics unregistered(QueryDigests digests) {
        return new ProxyMetrics(new SimpleMeterRegistry(), digests);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The query digests, or null when they are not collected. */
    public QueryDigests digests() {
        return digests;
    }

    public ListenerMetrics forListener(String listener) {
        return new ListenerMetrics(registry, listener);
    }

    @Override
    public void hookCalled(String hook, long nanos) {
        Timer t = hookTimers.get(hook);
        if (t != null) {
            t.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void hookFailed(String hook) {
        Counter c = hookErrors.get(hook);
        if (c != null) {
            c.increment();
        }
    }

    @Override
    public void scriptSwapped() {
        scriptSwaps.increment();
    }

    @Override
    public void scriptRejected() {
        scriptRejections.increment();
    }

    public void adminLogin(boolean ok) {
        (ok ? adminLogins : adminLoginFailures).increment();
    }
}
