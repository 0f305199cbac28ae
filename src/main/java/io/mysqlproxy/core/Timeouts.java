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
 * The idle, read and write timeouts of an authenticated session, driven by Netty's idle-state handlers: the client
 * socket reports reader idleness (idle timeout) and writer idleness with output observed (write timeout), the
 * backend socket reports reader idleness (read timeout). Each event is judged against the session's state.
 */
final class Timeouts {
    private static final Logger LOG = Logger.getLogger(Timeouts.class);

    private Timeouts() {
    }

    static void install(ClientSession session, Channel client, Channel server, Limits limits) {
        if (limits.idleTimeoutMillis() > 0 || limits.writeTimeoutMillis() > 0) {
            client.pipeline().addBefore(Listener.SESSION_HANDLER, "timeouts", new IdleStateHandler(true,
                    limits.idleTimeoutMillis(), limits.writeTimeoutMillis(), 0, TimeUnit.MILLISECONDS));
        }
        if (limits.readTimeoutMillis() > 0) {
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
        } else if (event.state() == IdleState.WRITER_IDLE && session.state() == SessionState.READ_QUERY_RESULT
                && !session.clientWritable()) {
            LOG.warnf("session %d: client %s read nothing for %d ms while a result waited, closing", session.id(),
                    session.clientAddress(), limits.writeTimeoutMillis());
            session.close();
        }
    }

    static void backendSilent(ClientSession session, IdleStateEvent event, Limits limits) {
        if (session.state() != SessionState.READ_QUERY_RESULT || !session.backendReading()) {
            return; // idle, or paused because the client reads slowly: the write timeout judges that
        }
        LOG.warnf("session %d: backend %s sent nothing for %d ms while client %s waited for a result",
                session.id(), session.backend().address(), limits.readTimeoutMillis(), session.clientAddress());
        if (session.serverAtBoundary()) {
            session.closeWithError(session.tracker().lastSeq() + 1, ErrorCodes.QUERY_TIMEOUT,
                    ErrorCodes.STATE_GENERAL, "Query execution was interrupted: backend " + session.backend().address()
                            + " did not answer within the read timeout of " + limits.readTimeoutMillis() + " ms");
        } else {
            session.close();
        }
    }
}
