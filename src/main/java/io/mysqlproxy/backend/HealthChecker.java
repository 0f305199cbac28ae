package io.mysqlproxy.backend;

import io.mysqlproxy.config.HealthCheck;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Probes every backend of a listener at a fixed interval and moves it up or down after enough successes or
 * failures; the list is read each interval, so backends added or removed at run time are followed.
 */
public final class HealthChecker {
    /** The outcome of a check this process could not make (no descriptor left). */
    static final String LOCAL = "no file descriptor left in the proxy";
    private static final Logger LOG = Logger.getLogger(HealthChecker.class);

    private final HealthCheck check;
    private final EventLoopGroup loops;
    private final ChannelFactory<? extends Channel> channels;
    private final Supplier<List<Backend>> backends;
    private final Set<Backend> probing = ConcurrentHashMap.newKeySet();
    private final PrimaryElection election;
    /** Backends whose replication status the check user may not read (logged once each). */
    private final Set<Backend> lagRefused = ConcurrentHashMap.newKeySet();
    private ScheduledFuture<?> task;

    public HealthChecker(HealthCheck check, EventLoopGroup loops, ChannelFactory<? extends Channel> channels,
                         Supplier<List<Backend>> backends, PrimaryElection election) {
        this.check = check;
        this.election = election;
        this.loops = loops;
        this.channels = channels;
        this.backends = backends;
    }

    public HealthCheck check() {
        return check;
    }

    public void start() {
        task = loops.next().scheduleAtFixedRate(this::probeAll, 0, check.intervalMillis(), TimeUnit.MILLISECONDS);
    }

    public void stop() {
        if (task != null) {
            task.cancel(false);
        }
    }

    private void probeAll() {
        for (Backend backend : backends.get()) {
            if (backend.state() != BackendState.OFFLINE && probing.add(backend)) {
                probe(backend).whenComplete((failure, e) -> probing.remove(backend));
            }
        }
    }

    /** Probes one backend now and records the outcome; completes with the failure reason or null. */
    public CompletableFuture<String> probe(Backend backend) {
        CompletableFuture<String> result = new CompletableFuture<>();
        long start = System.nanoTime();
        Bootstrap bootstrap = new Bootstrap().group(loops).channelFactory(channels)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) check.timeoutMillis())
                .handler(new HealthProbe(check, result,
                        backend.configuredRole() == BackendRole.AUTO && check.logsIn() ? backend::readOnly : null,
                        backend.configuredRole() != BackendRole.READ_WRITE && check.logsIn()
                                ? backend::replicationLag : null,
                        refusal -> {
                            if (lagRefused.add(backend)) {
                                LOG.warnf("health check of %s: user '%s' may not read the replication status (%s):"
                                        + " its replication lag stays unknown; grant it REPLICATION CLIENT (MySQL)"
                                        + " or SLAVE MONITOR (MariaDB)", backend.address(), check.user(), refusal);
                            }
                        }));
        ChannelFuture connect = bootstrap.connect(backend.address().host(), backend.address().port());
        connect.addListener(f -> {
            if (!f.isSuccess() && Backend.localFailure(f.cause())) {
                result.complete(LOCAL); // this process is out of descriptors: no verdict on the backend
            } else if (!f.isSuccess()) {
                result.complete("cannot connect: " + f.cause().getMessage());
            }
        });
        ScheduledFuture<?> timeout = loops.next().schedule(() -> result.complete("no answer within "
                + check.timeoutMillis() + " ms"), check.timeoutMillis(), TimeUnit.MILLISECONDS);
        return result.whenComplete((failure, e) -> {
            timeout.cancel(false);
            connect.channel().close();
            if (failure == null) {
                backend.probeSucceeded(System.nanoTime() - start, check.successesToUp());
            } else if (failure == LOCAL) {
                LOG.debugf("health check of %s skipped: %s", backend.address(), failure);
            } else {
                LOG.debugf("health check of %s failed: %s", backend.address(), failure);
                backend.probeFailed(failure, check.failuresToDown());
            }
            election.decide(backends.get());
        });
    }
}
