package io.mysqlproxy.health;

import io.mysqlproxy.core.Listener;
import io.mysqlproxy.core.ProxyServer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The proxy's health as Kubernetes probes ask for it (/q/health/live, /q/health/ready, /q/health/started):
 * live while its event loops run tasks, started once every listener is bound, ready while, in addition, every
 * listener has a backend that takes connections (unless --readiness-requires-backend=false).
 */
@ApplicationScoped
public class ProxyHealthChecks {
    /** How long an event loop may take to run a probe's task before the proxy counts as not live. */
    static final long LIVENESS_TIMEOUT_MILLIS = 2_000;

    @Inject
    RunningProxy running;

    @Produces
    @Liveness
    HealthCheck eventLoops() {
        return () -> {
            HealthCheckResponseBuilder r = HealthCheckResponse.named("event-loops");
            ProxyServer server = running.get();
            if (server == null) {
                return r.up().withData("proxy", "not started yet").build();
            }
            try {
                server.eventLoopsResponsive().get(LIVENESS_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
                return r.up().build();
            } catch (TimeoutException e) {
                return r.down().withData("reason", "an event loop did not run a task within "
                        + LIVENESS_TIMEOUT_MILLIS + " ms").build();
            } catch (Exception e) {
                return r.down().withData("reason", String.valueOf(e.getMessage())).build();
            }
        };
    }

    /**
     * Down while a Lua thread has been in one hook call far longer than its time budget: the budget could not stop
     * it, and its connections (and the Lua thread's event loop) get no service until the pod is restarted.
     */
    @Produces
    @Liveness
    HealthCheck luaThreads() {
        return () -> {
            HealthCheckResponseBuilder r = HealthCheckResponse.named("lua-threads");
            ProxyServer server = running.get();
            List<String> stuck = server == null ? List.of() : server.stuckLuaThreads();
            for (int i = 0; i < stuck.size(); i++) {
                r.withData("stuck-" + i, stuck.get(i));
            }
            return r.status(stuck.isEmpty()).build();
        };
    }

    @Produces
    @Startup
    HealthCheck started() {
        return () -> {
            ProxyServer server = running.get();
            return HealthCheckResponse.named("listeners-bound").status(server != null && server.started()).build();
        };
    }

    @Produces
    @Readiness
    HealthCheck ready() {
        return () -> {
            HealthCheckResponseBuilder r = HealthCheckResponse.named("listeners-and-backends");
            ProxyServer server = running.get();
            if (server == null || !server.started()) {
                return r.down().withData("reason", "the proxy is not running").build();
            }
            boolean up = true;
            boolean needBackend = server.config().monitoring().readinessRequiresBackend();
            for (Listener l : server.listeners()) {
                long available = l.backends().stream().filter(b -> b.state().acceptsConnections()).count();
                r.withData(l.name(), available + " of " + l.backends().size() + " backends take connections");
                if (needBackend && available == 0) {
                    up = false;
                }
            }
            return r.status(up).build();
        };
    }
}
