package io.mysqlproxy.admin;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.backend.CausalWait;
import io.mysqlproxy.core.ConnectionRow;
import io.mysqlproxy.core.Listener;
import io.mysqlproxy.core.AdminView;
import io.mysqlproxy.metrics.QueryDigests;
import io.mysqlproxy.scripting.AdminApi;
import io.mysqlproxy.scripting.Script;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The proxy's state as admin tables, and the changes an admin may make. Backends are numbered across listeners in
 * order (for one listener that is MySQL Proxy's backend index).
 */
public final class AdminState implements AdminApi {
    private final AdminView proxy;
    private final QueryDigests digests;
    private final Map<String, String> settings;
    private final String scope;

    /**
     * @param scope the one listener this admin interface sees and changes (a MySQLProxy resource's own admin
     *              port), or null for all of them
     */
    AdminState(AdminView proxy, QueryDigests digests, Map<String, String> settings, String scope) {
        this.proxy = proxy;
        this.digests = digests;
        this.settings = settings;
        this.scope = scope;
    }

    private List<Listener> listeners(AdminView p) {
        return scope == null ? p.listeners() : p.listeners().stream().filter(l -> l.name().equals(scope)).toList();
    }

    @Override
    public List<String> tables() {
        return List.of("backends", "listeners", "connections", "pools", "scripts", "query_digests", "config");
    }

    @Override
    public Table table(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "backends" -> backends();
            case "listeners" -> listeners();
            case "connections" -> connections();
            case "pools" -> pools();
            case "scripts" -> scripts();
            case "query_digests" -> queryDigests();
            case "config" -> config();
            default -> null;
        };
    }

    private Table backends() {
        List<List<Object>> rows = new ArrayList<>();
        int id = 0;
        for (Listener l : listeners(proxy)) {
            for (Backend b : l.backends()) {
                long check = b.lastCheckNanos();
                rows.add(Arrays.asList(++id, l.name(), b.address().toString(), b.role().label(),
                        b.state().name().toLowerCase(Locale.ROOT), b.weight(), b.connectedClients(),
                        l.pooledConnections(b), check < 0 ? null : check / 1000,
                        b.replicationLag() < 0 ? null : b.replicationLag(), b.routedStatements(true),
                        b.routedStatements(false), b.causalWaits(CausalWait.CAUGHT_UP),
                        b.causalWaits(CausalWait.TIMED_OUT), b.causalWaits(CausalWait.FAILED), b.readsRetried()));
            }
        }
        return new Table(columns("id:n", "listener", "address", "role", "state", "weight:n", "connected_clients:n",
                "pooled_connections:n", "health_check_us:n", "replication_lag_s:n", "routed_reads:n",
                "routed_writes:n", "causal_waits:n", "causal_timeouts:n", "causal_failures:n", "read_retries:n"), rows);
    }

    private Table listeners() {
        List<List<Object>> rows = new ArrayList<>();
        for (Listener l : listeners(proxy)) {
            rows.add(Arrays.asList(l.name(), l.config().address().toString(), l.boundPort(), l.backends().size(),
                    l.connectionCount(), l.config().maxConnections(), l.loginsInProgress(), l.loginsWaiting(),
                    l.config().logins().maxLogins(),
                    l.refusedCount(Listener.Refusal.MAX_CONNECTIONS), l.refusedCount(Listener.Refusal.NO_BACKEND),
                    l.refusedCount(Listener.Refusal.MAX_LOGINS),
                    l.config().tls().mode().name().toLowerCase(Locale.ROOT), l.config().routing().mode().label(),
                    l.config().routing().maxReplicationLagSeconds() < 0 ? null
                            : l.config().routing().maxReplicationLagSeconds(),
                    l.config().routing().causalReads().label(),
                    l.config().routing().causalReadsTimeoutMillis() / 1000.0,
                    l.config().routing().transactionReplay().enabled() ? "on" : "off"));
        }
        return new Table(columns("name", "address", "port:n", "backends:n", "connections:n", "max_connections:n",
                "logins:n", "logins_waiting:n", "max_logins:n", "refused_max_connections:n", "refused_no_backend:n",
                "refused_max_logins:n", "tls", "routing", "max_replication_lag_s:n", "causal_reads",
                "causal_reads_timeout_s:n", "transaction_replay"), rows);
    }

    private Table connections() {
        List<List<Object>> rows = new ArrayList<>();
        for (Listener l : listeners(proxy)) {
            for (ConnectionRow c : l.connections()) {
                rows.add(Arrays.asList(c.id(), c.listener(), c.client(), c.user(), c.db(), c.backend(), c.state(),
                        c.command(), c.command() == null ? null : c.commandMillis(), c.query(), c.pinned()));
            }
        }
        return new Table(columns("id:n", "listener", "client", "user", "db", "backend", "state", "command",
                "command_ms:n", "query", "pinned"), rows);
    }

    private Table pools() {
        List<List<Object>> rows = new ArrayList<>();
        for (Listener l : listeners(proxy)) {
            for (Listener.PoolRow p : l.pools()) {
                var u = p.user();
                rows.add(Arrays.asList(p.listener(), p.backend(), p.opened(), u.user(), u.clients(), u.inUse(),
                        u.idle(), u.waiting()));
            }
        }
        return new Table(columns("listener", "backend", "backend_connections:n", "user", "multiplexed_clients:n",
                "in_use:n", "idle:n", "waiting:n"), rows);
    }

    private Table scripts() {
        List<List<Object>> rows = new ArrayList<>();
        for (Listener l : listeners(proxy)) {
            for (Listener.ScriptRow s : l.scriptRows()) {
                rows.add(Arrays.asList(s.listener(), s.role(), s.name(), s.checksum(), s.state(), s.weightPercent(),
                        s.connections(), s.queries(), s.hookErrors(), s.refused(), s.verdict()));
            }
        }
        return new Table(columns("listener", "role", "script", "checksum", "state", "weight_percent:n",
                "connections:n", "queries:n", "hook_errors:n", "refused:n", "verdict"), rows);
    }

    private Table queryDigests() {
        List<List<Object>> rows = new ArrayList<>();
        if (digests != null) {
            for (QueryDigests.Snapshot d : digests.snapshot()) {
                rows.add(Arrays.asList(d.digest(), d.count(), d.totalNanos() / 1000, d.minNanos() / 1000,
                        d.maxNanos() / 1000, d.p99Nanos() / 1000, d.rows(), d.errors()));
            }
        }
        return new Table(columns("digest", "count:n", "total_us:n", "min_us:n", "max_us:n", "p99_us:n", "rows_sent:n",
                "errors:n"), rows);
    }

    private Table config() {
        List<List<Object>> rows = new ArrayList<>();
        settings.forEach((k, v) -> rows.add(Arrays.asList(k, v)));
        return new Table(columns("name", "value"), rows);
    }

    /** Columns from "name" (text) and "name:n" (integer). */
    private static List<Column> columns(String... specs) {
        List<Column> out = new ArrayList<>();
        for (String s : specs) {
            out.add(s.endsWith(":n") ? new Column(s.substring(0, s.length() - 2), true) : new Column(s, false));
        }
        return out;
    }

    @Override
    public String setBackendOnline(int id, boolean online) {
        int n = 0;
        for (Listener l : listeners(proxy)) {
            for (Backend b : l.backends()) {
                if (++n == id) {
                    b.setOffline(!online);
                    if (online) {
                        return "backend " + id + " (" + b.address() + ") is back in service";
                    }
                    l.evictPooled(b);
                    return "backend " + id + " (" + b.address() + ") is offline: " + b.connectedClients()
                            + " client sessions drain, new ones go to other backends";
                }
            }
        }
        throw new IllegalArgumentException("there is no backend " + id + " (SELECT * FROM backends lists them)");
    }

    @Override
    public boolean kill(long id) {
        for (Listener l : listeners(proxy)) {
            if (l.kill(id)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String reloadScript() {
        StringBuilder out = new StringBuilder();
        List<Script> scripts = scope == null ? proxy.reloadScripts() : proxy.reloadScript(scope);
        for (Script s : scripts) {
            out.append(out.length() == 0 ? "" : "; ").append("script ").append(s.name()).append(" (")
                    .append(s.checksum()).append(") is running");
        }
        return out.toString();
    }

    @Override
    public void resetQueryDigests() {
        if (digests == null) {
            throw new IllegalStateException("query digests are not collected (--query-digests=false)");
        }
        digests.reset();
    }
}
