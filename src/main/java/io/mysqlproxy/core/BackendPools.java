package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.backend.BackendConfig;
import io.mysqlproxy.backend.BackendRole;
import io.mysqlproxy.backend.BackendState;
import io.mysqlproxy.backend.CausalWait;
import io.mysqlproxy.config.ListenerConfig;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.metrics.ListenerMetrics;
import io.mysqlproxy.scripting.ConnectionInfo.BackendInfo;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * A listener's backends, each with its idle pool and its meters: kept across configuration changes while a
 * backend's address and role stay, created for a new one, closed and unregistered for a removed one.
 */
final class BackendPools {
    private static final Logger LOG = Logger.getLogger(BackendPools.class);
    private static final IdlePool NO_POOL = new IdlePool("(removed backend)", PoolConfig.NONE);
    private static final List<String> STATE_NAMES = Arrays.stream(BackendState.values())
            .map(s -> s.name().toLowerCase(Locale.ROOT)).toList();

    private final Map<Backend, IdlePool> pools = new ConcurrentHashMap<>();
    private final ListenerMetrics metrics;

    BackendPools(ListenerMetrics metrics) {
        this.metrics = metrics;
    }

    /**
     * The backends {@code config} names, keeping those of {@code previous} whose address and role did not change;
     * new ones get a pool with {@code poolConfig} and meters, removed ones lose theirs.
     */
    List<Backend> arrange(ListenerConfig config, List<Backend> previous, PoolConfig poolConfig) {
        List<Backend> list = new ArrayList<>();
        for (BackendConfig bc : config.backends()) {
            Backend kept = previous.stream()
                    .filter(b -> b.address().equals(bc.address()) && b.configuredRole() == bc.role())
                    .findFirst().orElse(null);
            if (kept != null) {
                kept.reconfigure(bc);
                list.add(kept);
            } else {
                list.add(added(new Backend(bc), poolConfig));
            }
        }
        for (Backend old : previous) {
            if (!list.contains(old)) {
                LOG.infof("listener %s: backend %s removed; its %d sessions go on until they end", config.name(),
                        old.address(), old.connectedClients());
                IdlePool pool = pools.remove(old);
                if (pool != null) {
                    pool.close();
                }
                metrics.removeBackend(old.address().toString());
            }
        }
        return List.copyOf(list);
    }

    private Backend added(Backend b, PoolConfig poolConfig) {
        String address = b.address().toString();
        IdlePool pool = new IdlePool(address, poolConfig);
        pools.put(b, pool);
        metrics.backendGauges(address, b, Backend::connectedClients, x -> pool.idle(null),
                x -> x.state().acceptsConnections() ? 1 : 0,
                x -> x.state().name().toLowerCase(Locale.ROOT), STATE_NAMES,
                x -> x.lastCheckNanos() < 0 ? -1 : x.lastCheckNanos() / 1e9);
        // registered whether or not the listener multiplexes now: a resource may turn it on later
        metrics.multiplexingGauges(address, pool, IdlePool::multiplexedClients, IdlePool::connectionsInUse,
                IdlePool::openConnections);
        metrics.poolLedgerMismatches(address, pool, IdlePool::ledgerMismatches);
        if (b.configuredRole() != BackendRole.READ_WRITE) {
            metrics.replicationLagGauge(address, b, Backend::replicationLag);
        }
        metrics.primaryGauge(address, b, x -> x.role() == BackendRole.READ_WRITE ? 1 : 0);
        metrics.routedStatements(address, b, x -> x.routedStatements(true), x -> x.routedStatements(false));
        metrics.readRetries(address, b, Backend::readsRetried);
        if (b.configuredRole() != BackendRole.READ_WRITE) {
            Map<String, ToDoubleFunction<Backend>> waits = new LinkedHashMap<>();
            for (CausalWait w : CausalWait.values()) {
                waits.put(w.label(), x -> x.causalWaits(w));
            }
            metrics.causalWaits(address, b, waits, Backend::causalWaitSeconds);
        }
        return b;
    }

    /** The backends as scripts see them in {@code proxy.global.backends}: figures read live. */
    List<BackendInfo> describe(List<Backend> backends) {
        List<BackendInfo> out = new ArrayList<>(backends.size());
        for (Backend b : backends) {
            out.add(new BackendInfo(b.address().host(), b.address().port(),
                    () -> b.state().ordinal(), () -> b.role() == BackendRole.READ_WRITE ? 1 : 2,
                    b::connectedClients, b.weight(), pools.get(b),
                    s -> b.setByScript(BackendState.values()[s]), b::replicationLag));
        }
        return List.copyOf(out);
    }

    /** The idle pool of {@code backend}; for a backend removed from the listener, one that keeps nothing. */
    IdlePool of(Backend backend) {
        return pools.getOrDefault(backend, NO_POOL);
    }

    /** New limits for every pool (the listener's multiplexing settings changed). */
    void reconfigure(PoolConfig config) {
        pools.values().forEach(p -> p.reconfigure(config));
    }

    void closeAll() {
        pools.values().forEach(IdlePool::close);
    }
}
