package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.backend.BackendRole;
import io.mysqlproxy.config.RoutingConfig;

/**
 * Built-in read/write splitting for one multiplexed client ({@code --routing=read-write-split}): which backend's
 * pool each command borrows from. An autocommit read that reads nothing of the client's session goes to a replica
 * (the one the client also logged into while it qualifies, else the qualifying one with the fewest clients);
 * everything else, and every read when no replica qualifies, goes to the primary: the client's own backend while
 * it takes writes, else the listener's read-write backend now (a failover the health checks followed). A client in a
 * transaction or pinned keeps the connection it holds whatever this says.
 */
final class ReadWriteSplit {
    private final ClientSession session;
    private final ConnectionLease lease;

    ReadWriteSplit(ClientSession session, ConnectionLease lease) {
        this.session = session;
        this.lease = lease;
    }

    /** Whether {@code b} may serve reads under {@code routing}: a read-only backend taking connections, lag within limit. */
    static boolean mayRead(Backend b, RoutingConfig routing) {
        return b.role() == BackendRole.READ_ONLY && b.state().acceptsConnections()
                && routing.lagAcceptable(b.replicationLag());
    }

    /** The backend whose pool {@code command} borrows from; counted there as a routed read or write. */
    Backend target(MultiplexedCommand command) {
        Listener listener = session.listener();
        RoutingConfig routing = listener.routing();
        boolean read = command.replicaSafe();
        SessionMirror mirror = session.mirror();
        if (read && routing.splits() && !mirror.inTransaction() && mirror.pinned() == null) {
            Backend replica = replica(listener, routing);
            if (replica != null) {
                replica.routed(true);
                return replica;
            }
        }
        Backend primary = primary(listener);
        primary.routed(read);
        return primary;
    }

    private Backend replica(Listener listener, RoutingConfig routing) {
        BackendLink second = session.links().second();
        if (second != null && usableForReads(listener, second.backend(), routing)) {
            return second.backend();
        }
        Backend best = null;
        for (Backend b : listener.backends()) {
            if ((best == null || b.connectedClients() < best.connectedClients())
                    && usableForReads(listener, b, routing)) {
                best = b;
            }
        }
        return best;
    }

    private boolean usableForReads(Listener listener, Backend b, RoutingConfig routing) {
        return mayRead(b, routing) && lease.usable(listener.pool(b));
    }

    private Backend primary(Listener listener) {
        Backend home = session.links().backend();
        if (home.role() == BackendRole.READ_WRITE && home.state().acceptsConnections()) {
            return home;
        }
        for (Backend b : listener.candidates()) {
            if (b.role() == BackendRole.READ_WRITE && lease.usable(listener.pool(b))) {
                return b;
            }
        }
        return home;
    }
}
