package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.backend.CausalWait;
import io.mysqlproxy.config.RoutingConfig;
import io.mysqlproxy.sql.GtidDialect;
import io.mysqlproxy.sql.StatementEffects;
import org.jboss.logging.Logger;

import java.util.HashSet;
import java.util.Set;

/**
 * Causal reads for one client of a splitting listener ({@code --causal-reads}): before a replica answers a read it
 * waits until it has applied the primary's GTID position, read when the read comes on a connection to the primary
 * (the client's own, or with multiplexing one of its user's from the pool). With {@code global} every read waits; with {@code local} only a read after a write of the client, until
 * that replica caught up for it once. A replica that does not get there within the timeout, or a position that cannot
 * be read or waited for, sends the read to the primary.
 * <p>
 * The position is the primary's, not the client's own last GTID: reading {@code @@last_gtid} right after the write
 * would change what {@code ROW_COUNT()} and {@code FOUND_ROWS()} tell the client's next statement, by the time of the
 * read a multiplexed client's write connection may carry another client's last GTID, and session tracking of it
 * would put {@code last_gtid} into the OK packets of a client that never asked for it. The primary's position after
 * the write includes it; at worst the replica waits for other clients' writes of the same moment too.
 */
final class CausalReads {
    private static final Logger LOG = Logger.getLogger(CausalReads.class);

    private final ClientSession session;
    private final ConnectionLease lease;
    private final long readTimeoutMillis;
    /** local: the replicas that applied the client's writes so far (cleared by each write). */
    private final Set<Backend> caughtUp = new HashSet<>(2);
    private boolean wrote;

    CausalReads(ClientSession session, ConnectionLease lease, long readTimeoutMillis) {
        this.session = session;
        this.lease = lease;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    /** The client may have changed data: under {@code local} its next reads wait for the replica. */
    void wrote() {
        wrote = true;
        caughtUp.clear();
    }

    /** Whether a read sent to {@code replica} must wait for it first. */
    boolean needed(Backend replica) {
        return switch (session.listener().routing().causalReads()) {
            case NONE -> false;
            case LOCAL -> wrote && !caughtUp.contains(replica);
            case GLOBAL -> true;
        };
    }

    /**
     * Runs {@code onReplica} on a connection of {@code replica} once it applied the primary's position now (it
     * counts the read there), else {@code send} on one of {@code primary}, counted there; {@code effects} as the
     * lease needs them for the client's command.
     */
    void read(Backend replica, Backend primary, StatementEffects effects, Runnable onReplica, Runnable send) {
        long started = System.nanoTime();
        lease.target(primary);
        lease.obtain(StatementEffects.NONE, () -> {
            GtidDialect dialect = GtidDialect.of(lease.held().greeting().serverVersion());
            lease.ask(dialect.positionQuery(), readTimeoutMillis, new ValueQuery.Outcome() {
                @Override
                public void answered(String position) {
                    lease.release();
                    waitOn(replica, primary, dialect, position, effects, onReplica, send, started);
                }

                @Override
                public void failed(String reason, boolean broken) {
                    LOG.infof("session %d: could not read the GTID position of primary %s for a causal read (%s);"
                            + " the primary answers it", session.id(), primary.address(), reason);
                    replica.causalWaited(CausalWait.FAILED, System.nanoTime() - started);
                    onPrimary(primary, effects, send);
                }
            });
        });
    }

    private void waitOn(Backend replica, Backend primary, GtidDialect dialect, String position,
                        StatementEffects effects, Runnable onReplica, Runnable send, long started) {
        lease.target(replica);
        if (position == null || position.isBlank()) {
            lease.obtain(effects, onReplica); // the primary has written nothing with a GTID: nothing to wait for
            return;
        }
        RoutingConfig routing = session.listener().routing();
        String wait = dialect.waitQuery(position, routing.causalReadsTimeoutMillis());
        if (wait == null) {
            LOG.warnf("session %d: primary %s answered its GTID position with '%s', which is none; the primary"
                    + " answers the causal read", session.id(), primary.address(), position);
            replica.causalWaited(CausalWait.FAILED, System.nanoTime() - started);
            onPrimary(primary, effects, send);
            return;
        }
        long guard = readTimeoutMillis <= 0 ? 0 : routing.causalReadsTimeoutMillis() + readTimeoutMillis;
        lease.obtain(effects, () -> lease.ask(wait, guard, new ValueQuery.Outcome() {
            @Override
            public void answered(String value) {
                if (dialect.reached(value)) {
                    replica.causalWaited(CausalWait.CAUGHT_UP, System.nanoTime() - started);
                    if (routing.causalReads() == RoutingConfig.CausalReads.LOCAL) {
                        caughtUp.add(replica);
                    }
                    onReplica.run();
                    return;
                }
                replica.causalWaited(CausalWait.TIMED_OUT, System.nanoTime() - started);
                LOG.debugf("session %d: replica %s did not reach %s within %d ms; the primary answers the read",
                        session.id(), replica.address(), position, routing.causalReadsTimeoutMillis());
                lease.release();
                onPrimary(primary, effects, send);
            }

            @Override
            public void failed(String reason, boolean broken) {
                LOG.infof("session %d: replica %s could not wait for GTID position %s (%s); the primary answers the"
                        + " causal read", session.id(), replica.address(), position, reason);
                replica.causalWaited(CausalWait.FAILED, System.nanoTime() - started);
                if (!broken) {
                    lease.release();
                }
                onPrimary(primary, effects, send);
            }
        }));
    }

    /** The read goes to the primary: on the connection held, if it is the primary's, else on one borrowed there. */
    private void onPrimary(Backend primary, StatementEffects effects, Runnable send) {
        primary.routed(true);
        lease.target(primary);
        lease.obtain(effects, send);
    }
}
