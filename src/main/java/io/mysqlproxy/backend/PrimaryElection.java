package io.mysqlproxy.backend;

import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Which of a listener's {@link BackendRole#AUTO} backends takes the writes, from what the health checks read of
 * their servers' {@code read_only}. The primary keeps the writes while its server is writable. When it turns
 * read-only or is lost and exactly one other auto backend is writable, that one becomes the primary: an external
 * failover (an operator, orchestrator, a DBA by hand) is followed within one health check. Two writable servers at
 * once are reported, and the writes stay on the primary, or go nowhere if it is gone, until one is the only writable
 * server. Before any primary was elected, the first writable backend in the listener's order is taken.
 */
public final class PrimaryElection {
    private static final Logger LOG = Logger.getLogger(PrimaryElection.class);

    private final String listener;
    private final AtomicLong changes = new AtomicLong();
    /** The backend elected last; it takes the writes unless its server turned read-only. Null before any. */
    private Backend primary;
    private List<Backend> writable = List.of();
    private volatile String problem;

    public PrimaryElection(String listener) {
        this.listener = listener;
    }

    /** Elects again from the backends' last health checks; each auto backend learns its role. */
    public synchronized void decide(List<Backend> backends) {
        List<Backend> auto = new ArrayList<>();
        List<Backend> nowWritable = new ArrayList<>();
        for (Backend b : backends) {
            if (b.configuredRole() == BackendRole.AUTO) {
                auto.add(b);
                if (b.readOnly() == ServerReadOnly.OFF && b.state() != BackendState.DOWN
                        && b.state() != BackendState.OFFLINE) {
                    nowWritable.add(b);
                }
            }
        }
        if (primary != null && !auto.contains(primary)) {
            primary = null; // removed from the listener
        }
        Backend next = primary;
        if (primary == null && !nowWritable.isEmpty() || nowWritable.size() == 1) {
            next = nowWritable.get(0);
        }
        if (next != primary) {
            LOG.infof("listener %s: backend %s is the primary now (read_only is OFF)%s", listener, next.address(),
                    primary == null ? "" : "; it was " + primary.address());
            primary = next;
            changes.incrementAndGet();
        }
        for (Backend b : auto) {
            b.elected(b == primary && b.readOnly() != ServerReadOnly.ON ? BackendRole.READ_WRITE
                    : BackendRole.READ_ONLY);
        }
        report(auto, nowWritable);
    }

    private void report(List<Backend> auto, List<Backend> nowWritable) {
        String next = null;
        if (nowWritable.size() > 1) {
            next = "backends " + nowWritable.stream().map(b -> b.address().toString()).collect(Collectors.joining(", "))
                    + " are all writable (read_only OFF); writes go to " + (takesWrites() ? primary.address()
                    : "none of them") + " until one is the only writable server";
            if (!nowWritable.equals(writable)) {
                LOG.warnf("listener %s: %s", listener, next);
            }
        } else if (!auto.isEmpty() && !takesWrites()) {
            next = "no backend with role auto is writable (read_only OFF): writes have nowhere to go";
        }
        if (next == null && problem != null && primary != null) {
            LOG.infof("listener %s: %s takes the writes again, alone", listener, primary.address());
        }
        writable = nowWritable;
        problem = next;
    }

    private boolean takesWrites() {
        return primary != null && primary.role() == BackendRole.READ_WRITE;
    }

    /** How often the primary changed (the first election included). */
    public long changes() {
        return changes.get();
    }

    /** What is wrong with the writes now (several writable servers, none), or null. */
    public String problem() {
        return problem;
    }
}
