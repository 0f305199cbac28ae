package io.mysqlproxy.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Lease-based election among the proxy replicas: every replica applies resources to its own listeners, the leader
 * alone writes what is shared (status, Services, Events), so replicas never overwrite each other's view.
 */
final class Leadership {
    private static final Logger LOG = Logger.getLogger(Leadership.class);
    static final Duration LEASE = Duration.ofSeconds(15);

    private final KubernetesClient client;
    private final ProxyPods pods;
    private volatile boolean leader;
    private CompletableFuture<?> election;

    Leadership(KubernetesClient client, ProxyPods pods) {
        this.client = client;
        this.pods = pods;
    }

    /** The Lease all replicas of one installation compete for. */
    String leaseName() {
        String instance = pods.selector().get("app.kubernetes.io/instance");
        return instance == null ? "mysqlproxy-leader" : instance + "-mysqlproxy-leader";
    }

    synchronized void start() {
        if (election != null) {
            return;
        }
        String lease = leaseName();
        election = client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
                .withName(lease)
                .withLock(new LeaseLock(pods.namespace(), lease, pods.name()))
                .withLeaseDuration(LEASE)
                .withRenewDeadline(Duration.ofSeconds(10))
                .withRetryPeriod(Duration.ofSeconds(2))
                .withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(
                        () -> {
                            leader = true;
                            LOG.infof("%s leads: it writes status, Services and Events", pods.name());
                        },
                        () -> {
                            leader = false;
                            LOG.infof("%s no longer leads", pods.name());
                        },
                        newLeader -> LOG.debugf("leader is %s", newLeader)))
                .build()).build().start();
    }

    boolean isLeader() {
        return leader;
    }

    synchronized void stop() {
        if (election != null) {
            election.cancel(true);
        }
    }
}
