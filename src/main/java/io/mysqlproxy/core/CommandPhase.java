package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.backend.BackendState;
import io.mysqlproxy.config.Limits;
import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.ConversationTracker;
import io.mysqlproxy.protocol.ResponseState;
import io.mysqlproxy.protocol.ServerStatus;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import org.jboss.logging.Logger;

/**
 * What the two command phases (plain and scripted) share: the session's backend connections lost between or during
 * commands, kept in a pool when the client leaves between commands, back-pressure both ways, the idle and read
 * timeouts, and under multiplexing the bytes of a connection the client does not run a command on.
 */
abstract class CommandPhase implements SessionPhase {
    private static final Logger LOG = Logger.getLogger(CommandPhase.class);
    final ClientSession session;
    /** Lends the session backend connections per command, or null when the session keeps its own. */
    final Multiplexer mux;

    CommandPhase(ClientSession session, Multiplexer mux) {
        this.session = session;
        this.mux = mux;
    }

    /** Takes over from the login: what the client and the server sent behind the login's last packets. */
    abstract void start(ByteBuf clientRest, ByteBuf serverRest);

    /**
     * Under multiplexing, bytes of a connection just given back (not this client's) or of the prelude that brings
     * a borrowed connection to the client's state: true if they were taken care of here.
     */
    final boolean takenByMultiplexer(ByteBuf buf) {
        return mux != null && mux.takeServerBytes(buf);
    }

    @Override
    public void serverLost() {
        if (mux != null && mux.retryOnAnotherConnection()) {
            return;
        }
        if (session.state() == SessionState.READ_QUERY_RESULT) {
            lostDuringCommand(session.backend());
        } else {
            LOG.debugf("session %d: backend %s closed the connection", session.id(), session.backend().address());
            // lingering: a client may still be sending a packet the server refused (and answered) before it closed
            session.closeAfterFlush();
        }
    }

    @Override
    public void secondServerLost(Channel channel) {
        BackendLink second = session.links().second();
        if (second == null || channel != second.channel()) {
            return;
        }
        Backend lost = second.backend();
        if (session.links().active() == channel && session.state() == SessionState.READ_QUERY_RESULT) {
            lostDuringCommand(lost);
            return;
        }
        LOG.infof("session %d: second backend %s closed its connection; client %s goes on with %s", session.id(),
                lost.address(), session.clientAddress(), session.backend().address());
        session.links().dropSecond();
    }

    /**
     * A backend connection closed while a command waited for its result. What the server sent before it closed
     * has reached the client; the client's connection is closed without an error of the proxy's own, so that every
     * client reports the loss as its own "lost connection" (2013 in libmariadb), as when it talks to the server
     * directly. (Error codes 2000-2999 are the clients' own: libmariadb reads one from the wire as a malformed
     * packet.)
     */
    private void lostDuringCommand(Backend lost) {
        LOG.warnf("session %d: backend %s closed the connection during %s from client %s", session.id(),
                lost.address(), Commands.name(session.tracker().currentCommand()), session.clientAddress());
        session.closeAfterFlush();
    }

    /**
     * The client leaves at a command boundary: its backend connections go to the idle pool, if it keeps
     * connections for that backend and user, instead of being closed. Connections in a transaction, or whose
     * protocol the proxy lost track of, are never kept.
     */
    @Override
    public void clientLeft() {
        ConversationTracker tracker = session.tracker();
        if (mux != null) {
            if (session.relayQuiet() && tracker.state() != ResponseState.UNTRACKED) {
                mux.park();
            }
            return;
        }
        SessionLinks links = session.links();
        if (tracker.quitSent() || !quiet() || links.greeting() == null || tracker.state() == ResponseState.UNTRACKED
                || (tracker.serverStatus() & ServerStatus.IN_TRANS) != 0) {
            return;
        }
        Backend backend = links.backend();
        if (backend != null && backend.state() == BackendState.OFFLINE) {
            return; // draining: its connections close with their clients
        }
        Listener listener = session.listener();
        // with a second connection, the main one is not kept: a client can take over only one pooled connection
        // (the server's auth switch is the one a client answers), and the second login needs that switch
        if (links.server() != null && !links.holdsSecond()
                && listener.pool(backend).offer(session.asPooled(links.server(), links.greeting()))) {
            links.serverGivenAway();
        }
        BackendLink second = links.second();
        if (links.holdsSecond() && listener.pool(second.backend())
                .offer(session.asPooled(second.channel(), second.greeting()))) {
            second.givenAway();
        }
    }

    /** COM_QUIT at a command boundary: true if the backend connection went to the pool and the client is closed. */
    final boolean quitIntoPool() {
        clientLeft();
        if (session.links().server() != null) {
            return false; // not kept: the COM_QUIT goes to the server, which closes the connection
        }
        session.close();
        return true;
    }

    /** A slow backend connection stops the client from being read, until it caught up. */
    @Override
    public void serverWritabilityChanged(Channel channel) {
        if (channel == session.links().active()) {
            session.client().config().setAutoRead(channel.isWritable());
        }
    }

    /**
     * Between commands the client has the idle timeout; while a command waits for its result, the connection it runs
     * on has the read timeout. A result paused because the client reads slowly is the write timeout's to judge.
     */
    @Override
    public void timePassed(long tickMillis, long quietMillis) {
        Limits limits = session.limits();
        SessionState state = session.state();
        if (state == SessionState.READ_QUERY) {
            if (limits.idleTimeoutMillis() > 0 && quietMillis >= limits.idleTimeoutMillis()) {
                Timeouts.clientIdle(session, limits);
            }
        } else if (state == SessionState.READ_QUERY_RESULT && session.backendReading()) {
            if (limits.readTimeoutMillis() > 0 && quietMillis >= limits.readTimeoutMillis()) {
                Timeouts.backendSilent(session, limits);
            }
        } else {
            session.stirred();
        }
    }

    /** A slow client stops the connection its command runs on from being read, until it caught up. */
    @Override
    public void clientWritabilityChanged(boolean writable) {
        if (session.links().server() != null) {
            session.links().active().config().setAutoRead(writable);
            if (writable) {
                session.relay().clientWritable();
            }
        }
    }
}
