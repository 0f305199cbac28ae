package io.mysqlproxy.core;

import io.mysqlproxy.config.Limits;
import io.mysqlproxy.protocol.ErrorCodes;
import io.netty.channel.Channel;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import org.jboss.logging.Logger;

import java.util.concurrent.TimeUnit;

/**
 * The idle, read and write timeouts of an authenticated session. Netty's idle-state handlers report reader
 * idleness of the client (idle timeout) and of the backend (read timeout); each event is judged against the
 * session's state. The write timeout is a task scheduled only while the client socket is not writable: an idle-state
 * handler watching writes would add a listener to every write on the relay path.
 */
final class Timeouts {
    private static final Logger LOG = Logger.getLogger(Timeouts.class);

    private Timeouts() {
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
        LOG.warnf("session %d: backend %s sent nothing for %d ms while client %s waited for a result",
                session.id(), session.links().activeBackend().address(), limits.readTimeoutMillis(), session.clientAddress());
        if (session.serverAtBoundary()) {
            session.closeWithError(session.tracker().lastSeq() + 1, ErrorCodes.QUERY_TIMEOUT,
                    ErrorCodes.STATE_GENERAL, "Query execution was interrupted: backend " + session.links().activeBackend().address()
                            + " did not answer within the read timeout of " + limits.readTimeoutMillis() + " ms");
        } else {
            session.close();
        }
    }
}
