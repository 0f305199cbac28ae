package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.backend.BackendRole;
import io.mysqlproxy.config.RoutingConfig;

import org.jboss.logging.Logger;

import java.util.List;
import java.util.function.Predicate;

/**
 * Built-in read/write splitting for one multiplexed client ({@code --routing=read-write-split}): which backend's
 * pool each command borrows from. An autocommit read that reads nothing of the client's session goes to a replica
 * (the one the client also logged into while it qualifies, else the qualifying one with the fewest clients);
 * everything else, and every read when no replica qualifies, goes to the primary: the client's own backend while
 * it takes writes, else the listener's read-write backend now (a failover the health checks followed). A client in a
 * transaction or pinned keeps the connection it holds whatever this says.
 */
final class ReadWriteSplit {
    private static final Logger LOG = Logger.getLogger(ReadWriteSplit.class);
    private final ClientSession session;
    private final ConnectionLease lease;
    /** Whether the client may borrow from a backend's pool (it has connections of the client's user). */
    private final Predicate<Backend> borrowable;
    private final CausalReads causal;
    /** The client's prepared statements, when routed one by one; else null. */
    private final PreparedStatements statements;

    ReadWriteSplit(ClientSession session, ConnectionLease lease, PreparedStatements statements,
                   long readTimeoutMillis) {
        this.session = session;
        this.lease = lease;
        this.statements = statements;
        this.borrowable = b -> lease.usable(session.listener().pool(b));
        this.causal = new CausalReads(session, lease, readTimeoutMillis);
    }

    /**
     * Gets {@code command} a connection of the backend it goes to, counted there as a routed read or write, then runs
     * {@code send}. A read that must see what the replica may not have applied yet waits for it there first
     * ({@link CausalReads}).
     */
    void obtain(MultiplexedCommand command, Runnable send) {
        obtain(command, null, send);
    }

    /** The same, on any backend but {@code avoid} (null: none) as long as another one can answer. */
    void obtain(MultiplexedCommand command, Backend avoid, Runnable send) {
        Listener listener = session.listener();
        RoutingConfig routing = listener.routing();
        boolean read = command.replicaSafe();
        Backend replica = routing.splits() && anyServerMayAnswer(command) ? replica(listener, routing, avoid) : null;
        Backend primary = primary(listener, avoid);
        if (replica == null) {
            primary.routed(read);
            lease.target(primary);
            lease.obtain(command.effects(), send);
            return;
        }
        Runnable onReplica = () -> onReplica(command, replica, primary, send);
        if (causal.needed(replica)) {
            causal.read(replica, primary, command.effects(), onReplica, send);
        } else {
            lease.target(replica);
            lease.obtain(command.effects(), onReplica);
        }
    }

    /**
     * The replica connection held now runs {@code send}, counted there as a routed read, once it has the statement
     * {@code command} executes (the proxy prepares it there the first time); a replica that refuses to prepare it
     * leaves this execution, and the statement's next ones, to the primary.
     */
    private void onReplica(MultiplexedCommand command, Backend replica, Backend primary, Runnable send) {
        PreparedStatements.Statement statement = command.statement();
        PooledConnection held = lease.held();
        if (statement == null || statements.preparedOn(statement, held)) {
            replica.routed(true);
            send.run();
            return;
        }
        lease.prepareCopy(statement.sql, new StatementCopy.Outcome() {
            @Override
            public void prepared(long id) {
                statements.copied(statement, held, id);
                replica.routed(true);
                send.run();
            }

            @Override
            public void failed(String reason, boolean broken) {
                LOG.infof("session %d: replica %s could not prepare a statement of the client (%s); the primary runs"
                        + " it", session.id(), replica.address(), reason);
                if (!broken) {
                    statements.refusedByReplica(statement);
                    lease.release();
                }
                primary.routed(true);
                lease.target(primary);
                lease.obtain(command.effects(), send);
            }
        });
    }

    /** Whether {@code command} is a read any server may answer: replica-safe, outside a transaction and a pin. */
    boolean anyServerMayAnswer(MultiplexedCommand command) {
        SessionMirror mirror = session.mirror();
        return command.replicaSafe() && !mirror.inTransaction() && mirror.pinned() == null;
    }

    /**
     * The backend a cut transaction runs again on: a read-write backend other than {@code avoid} (the lost one,
     * until it went down and came back; null: none) that takes connections and has some of the client's user; null
     * while there is none.
     */
    Backend replayPrimary(Backend avoid) {
        for (Backend b : session.listener().candidates()) {
            if (b != avoid && b.role() == BackendRole.READ_WRITE && b.state().acceptsConnections()
                    && borrowable.test(b)) {
                return b;
            }
        }
        return null;
    }

    /** {@code command}'s response ended. */
    void ended(MultiplexedCommand command) {
        if (command.mayWrite()) {
            causal.wrote();
        }
    }

    /** Whether {@code b} may serve reads under {@code routing}: a read-only backend taking connections, lag within limit. */
    static boolean mayRead(Backend b, RoutingConfig routing) {
        return b.role() == BackendRole.READ_ONLY && b.state().acceptsConnections()
                && routing.lagAcceptable(b.replicationLag());
    }

    /** Of {@code backends}, the one with the fewest clients that {@link #mayRead} and passes {@code usable}, or null. */
    static Backend leastBusyReader(List<Backend> backends, RoutingConfig routing, Predicate<Backend> usable) {
        Backend best = null;
        for (Backend b : backends) {
            if (mayRead(b, routing) && (best == null || b.connectedClients() < best.connectedClients())
                    && usable.test(b)) {
                best = b;
            }
        }
        return best;
    }

    private Backend replica(Listener listener, RoutingConfig routing, Backend avoid) {
        BackendLink second = session.links().second();
        if (second != null && second.backend() != avoid && mayRead(second.backend(), routing)
                && borrowable.test(second.backend())) {
            return second.backend();
        }
        return leastBusyReader(listener.backends(), routing, avoid == null ? borrowable
                : b -> b != avoid && borrowable.test(b));
    }

    private Backend primary(Listener listener, Backend avoid) {
        Backend home = session.links().backend();
        if (home != avoid && home.role() == BackendRole.READ_WRITE && home.state().acceptsConnections()) {
            return home;
        }
        for (Backend b : listener.candidates()) {
            if (b != avoid && b.role() == BackendRole.READ_WRITE && borrowable.test(b)) {
                return b;
            }
        }
        return home;
    }
}
