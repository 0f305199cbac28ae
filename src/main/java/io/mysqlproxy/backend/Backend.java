package io.mysqlproxy.backend;

import io.mysqlproxy.config.HostPort;
import org.jboss.logging.Logger;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * A backend server and what the proxy knows of it now. State changes come from the health checker, from failed
 * connection attempts and from operators; they are published through a volatile field so every event loop sees
 * them without locking.
 */
public final class Backend {
    private static final Logger LOG = Logger.getLogger(Backend.class);

    private volatile BackendConfig config;
    private final AtomicInteger connectedClients = new AtomicInteger();
    private volatile BackendState state = BackendState.UNKNOWN;
    private volatile long lastCheckNanos = -1;
    private volatile long replicationLagSeconds = LAG_UNKNOWN;
    private final LongAdder routedReads = new LongAdder();
    private final LongAdder routedWrites = new LongAdder();
    private final LongAdder[] causalWaits = Stream.generate(LongAdder::new).limit(CausalWait.values().length)
            .toArray(LongAdder[]::new);
    private final LongAdder causalWaitNanos = new LongAdder();
    private final LongAdder readsRetried = new LongAdder();
    private volatile ServerReadOnly readOnly = ServerReadOnly.UNKNOWN;
    /** An auto backend's role now: read-write while its listener elected it primary. */
    private volatile BackendRole electedRole = BackendRole.READ_ONLY;
    private int consecutiveFailures;
    private int consecutiveSuccesses;

    public Backend(BackendConfig config) {
        this.config = config;
    }

    public BackendConfig config() {
        return config;
    }

    /** A new weight for the same address and role, taking effect for the next connection. */
    public void reconfigure(BackendConfig next) {
        if (!next.address().equals(config.address()) || next.role() != config.role()) {
            throw new IllegalArgumentException(next + " is not " + config);
        }
        config = next;
    }

    public HostPort address() {
        return config.address();
    }

    /** What the backend serves now: its configured role, or for an {@link BackendRole#AUTO} one, the elected role. */
    public BackendRole role() {
        BackendRole configured = config.role();
        return configured == BackendRole.AUTO ? electedRole : configured;
    }

    public BackendRole configuredRole() {
        return config.role();
    }

    /** The server's read_only at the last logged-in health check. */
    public ServerReadOnly readOnly() {
        return readOnly;
    }

    public void readOnly(ServerReadOnly value) {
        readOnly = value;
    }

    /** The role an auto backend was elected to (by {@link PrimaryElection}). */
    void elected(BackendRole role) {
        electedRole = role;
    }

    public int weight() {
        return config.weight();
    }

    public BackendState state() {
        return state;
    }

    public int connectedClients() {
        return connectedClients.get();
    }

    public void clientConnected() {
        connectedClients.incrementAndGet();
    }

    public void clientDisconnected() {
        connectedClients.decrementAndGet();
    }

    /** A statement was sent here by read/write splitting: a read, or anything else. */
    public void routed(boolean read) {
        (read ? routedReads : routedWrites).increment();
    }

    /** Statements read/write splitting sent here: reads if {@code reads}, else the others. */
    public long routedStatements(boolean reads) {
        return (reads ? routedReads : routedWrites).sum();
    }

    /** A split read this server was lost before answering ran once more on another backend. */
    public void readRetried() {
        readsRetried.increment();
    }

    /** Split reads that ran once more elsewhere because this server was lost before answering them. */
    public long readsRetried() {
        return readsRetried.sum();
    }

    /** A causal read waited here until this replica had applied a position: how that ended, and how long it took. */
    public void causalWaited(CausalWait outcome, long nanos) {
        causalWaits[outcome.ordinal()].increment();
        causalWaitNanos.add(nanos);
    }

    /** Causal reads' waits here that ended with {@code outcome}. */
    public long causalWaits(CausalWait outcome) {
        return causalWaits[outcome.ordinal()].sum();
    }

    /** Seconds causal reads waited here, in all. */
    public double causalWaitSeconds() {
        return causalWaitNanos.sum() / 1e9;
    }

    /** Replication lag not measured, or not known because replication is not running. */
    public static final long LAG_UNKNOWN = -1;

    /**
     * How far this replica's replication is behind its primary in seconds (Seconds_Behind_Master at the last
     * health check), or {@link #LAG_UNKNOWN}: not a read-only backend, no logged-in health check, not a replica,
     * or replication stopped.
     */
    public long replicationLag() {
        return replicationLagSeconds;
    }

    public void replicationLag(long seconds) {
        replicationLagSeconds = seconds;
    }

    /** Duration of the last successful health check, or -1. */
    public long lastCheckNanos() {
        return lastCheckNanos;
    }

    /** Records a successful probe and returns true when it changed the state. */
    public synchronized boolean probeSucceeded(long durationNanos, int successesToUp) {
        lastCheckNanos = durationNanos;
        consecutiveFailures = 0;
        consecutiveSuccesses++;
        if (state != BackendState.UP && state != BackendState.OFFLINE && consecutiveSuccesses >= successesToUp) {
            return changeState(BackendState.UP, "health check passed");
        }
        return false;
    }

    /**
     * True when a connection attempt failed for a reason of this process, not of the backend: no file descriptor
     * left (EMFILE, ENFILE). Such a failure says nothing about the backend and must not mark it down, or an
     * overloaded proxy would refuse everyone with "no backend is up".
     */
    public static boolean localFailure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("Too many open files") || m.contains("error(-24)")
                    || m.contains("error(-23)"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * A client's connection got the backend's greeting: what a probe checks, so it ends a run of failed probes
     * (under a connection storm probes may time out while logins still go through). It does not bring a backend
     * up; that stays the health check's decision.
     */
    public synchronized void greeted() {
        consecutiveFailures = 0;
    }

    /** Records a failed probe or connection attempt and returns true when it changed the state. */
    public synchronized boolean probeFailed(String reason, int failuresToDown) {
        consecutiveSuccesses = 0;
        consecutiveFailures++;
        if (state != BackendState.DOWN && state != BackendState.OFFLINE && consecutiveFailures >= failuresToDown) {
            return changeState(BackendState.DOWN, reason);
        }
        return false;
    }

    public synchronized void setOffline(boolean offline) {
        if (offline) {
            changeState(BackendState.OFFLINE, "set offline");
        } else if (state == BackendState.OFFLINE) {
            consecutiveSuccesses = 0;
            consecutiveFailures = 0;
            changeState(BackendState.UNKNOWN, "set online");
        }
    }

    /**
     * A script wrote {@code proxy.global.backends[i].state}. DOWN lasts until health checks pass again, OFFLINE until
     * a script or operator sets another state.
     */
    public synchronized void setByScript(BackendState next) {
        consecutiveSuccesses = 0;
        consecutiveFailures = 0;
        changeState(next, "set by a script");
    }

    private boolean changeState(BackendState next, String reason) {
        if (state == next) {
            return false;
        }
        LOG.infof("backend %s (%s) is %s: %s", config.address(), config.role().label(), next, reason);
        state = next;
        return true;
    }

    @Override
    public String toString() {
        return config.address() + "(" + role().label() + ", " + state + ")";
    }
}
