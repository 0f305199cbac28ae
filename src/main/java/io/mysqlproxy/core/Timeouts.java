package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.config.Limits;
import io.mysqlproxy.protocol.ErrorCodes;
import io.netty.channel.Channel;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import org.jboss.logging.Logger;

import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The login deadline, and the idle, read and write timeouts of an authenticated session. Netty's idle-state handlers report reader
 * idleness of the client (idle timeout) and of the backend (read timeout); each event is judged against the
 * session's state. The write timeout is a task scheduled only while the client socket is not writable: an idle-state
 * handler watching writes would add a listener to every write on the relay path.
 */
final class Timeouts {
    private static final Logger LOG = Logger.getLogger(Timeouts.class);

    private Timeouts() {
    }

    /**
     * A login must end within the handshake timeout, or the client gets the error a server gives when its
     * net_read_timeout strikes ({@code lastClientSeq}: the sequence id of the client's last login packet). Null when
     * there is no timeout.
     */
    static ScheduledFuture<?> loginDeadline(ClientSession session, Channel client, Limits limits,
                                            IntSupplier lastClientSeq) {
        long timeout = limits.handshakeTimeoutMillis();
        if (timeout <= 0) {
            return null;
        }
        return client.eventLoop().schedule(() -> {
            SessionState state = session.state();
            if (state.authenticated() || state == SessionState.CLOSED) {
                return;
            }
            LOG.infof("session %d: client %s did not finish logging in within %d ms (state %s)", session.id(),
                    client.remoteAddress(), timeout, state);
            int seq = state == SessionState.READ_AUTH_RESULT || state == SessionState.READ_AUTH
                    ? lastClientSeq.getAsInt() + 1 : 0;
            session.closeWithError(seq, ErrorCodes.NET_READ_INTERRUPTED, ErrorCodes.STATE_CONNECTION_FAILURE,
                    "Got timeout reading communication packets (login not finished within " + timeout + " ms)");
        }, timeout, TimeUnit.MILLISECONDS);
    }

    static void install(ClientSession session, Channel client, Channel server, Limits limits) {
        if (limits.idleTimeoutMillis() > 0 && client != null) {
            client.pipeline().addBefore(Listener.SESSION_HANDLER, "timeouts",
                    new IdleStateHandler(limits.idleTimeoutMillis(), 0, 0, TimeUnit.MILLISECONDS));
        }
        // a pooled connection keeps its handler from one client to the next
        if (limits.readTimeoutMillis() > 0 && server != null && server.pipeline().get("timeouts") == null) {
            server.pipeline().addBefore(BackendHandler.NAME, "timeouts",
                    new IdleStateHandler(limits.readTimeoutMillis(), 0, 0, TimeUnit.MILLISECONDS));
        }
    }

    static void clientIdle(ClientSession session, IdleStateEvent event, Limits limits) {
        if (event.state() == IdleState.READER_IDLE && session.state() == SessionState.READ_QUERY) {
            LOG.debugf("session %s: client %s idle for %s ms, closing", (Object) session.id(), session.clientAddress(),
                    limits.idleTimeoutMillis());
            session.closeWithError(0, ErrorCodes.CLIENT_IDLE_TIMEOUT, ErrorCodes.STATE_GENERAL,
                    "The client was disconnected by mysqlproxy because of inactivity (idle timeout "
                            + limits.idleTimeoutMillis() + " ms)");
        }
    }

    /** Called when the client stopped reading for the write timeout (the task runs only while it is unwritable). */
    static void clientStalled(ClientSession session, Limits limits) {
        if (session.state() != SessionState.CLOSED && !session.clientWritable()) {
            LOG.warnf("session %s: client %s read nothing for %s ms while a result waited, closing",
                    (Object) session.id(), session.clientAddress(), limits.writeTimeoutMillis());
            session.close();
        }
    }

    static void backendSilent(ClientSession session, IdleStateEvent event, Limits limits) {
        if (session.state() != SessionState.READ_QUERY_RESULT || !session.backendReading()) {
            return; // idle, or paused because the client reads slowly: the write timeout judges that
        }
        Backend silent = session.links().activeBackend();
        LOG.warnf("session %d: backend %s sent nothing for %d ms while client %s waited for a result",
                session.id(), silent.address(), limits.readTimeoutMillis(), session.clientAddress());
        if (session.serverAtBoundary()) {
            session.closeWithError(session.tracker().lastSeq() + 1, ErrorCodes.QUERY_TIMEOUT,
                    ErrorCodes.STATE_GENERAL, "Query execution was interrupted: backend " + silent.address()
                            + " did not answer within the read timeout of " + limits.readTimeoutMillis() + " ms");
        } else {
            session.close();
        }
    }
}
