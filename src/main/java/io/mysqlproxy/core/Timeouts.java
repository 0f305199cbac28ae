package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.config.Limits;
import io.mysqlproxy.protocol.ErrorCodes;
import org.jboss.logging.Logger;

/**
 * What happens when a session's login deadline, idle, read or write timeout strikes. The session clock
 * ({@link SessionClock}) judges the first three on every tick; the write timeout is a task scheduled only while the
 * client socket is not writable (watching writes on every session would add work to every write of the relay path).
 */
final class Timeouts {
    private static final Logger LOG = Logger.getLogger(Timeouts.class);

    private Timeouts() {
    }

    /**
     * The login did not end within the handshake timeout: the client gets the error a server gives when its
     * net_read_timeout strikes ({@code lastClientSeq}: the sequence id of the client's last login packet).
     */
    static void loginTimedOut(ClientSession session, long timeoutMillis, int lastClientSeq) {
        SessionState state = session.state();
        LOG.infof("session %d: client %s did not finish logging in within %d ms (state %s)", session.id(),
                session.clientAddress(), timeoutMillis, state);
        int seq = state == SessionState.READ_AUTH_RESULT || state == SessionState.READ_AUTH ? lastClientSeq + 1 : 0;
        session.closeWithError(seq, ErrorCodes.NET_READ_INTERRUPTED, ErrorCodes.STATE_CONNECTION_FAILURE,
                "Got timeout reading communication packets (login not finished within " + timeoutMillis + " ms)");
    }

    static void clientIdle(ClientSession session, Limits limits) {
        LOG.debugf("session %s: client %s idle for %s ms, closing", (Object) session.id(), session.clientAddress(),
                limits.idleTimeoutMillis());
        session.closeWithError(0, ErrorCodes.CLIENT_IDLE_TIMEOUT, ErrorCodes.STATE_GENERAL,
                "The client was disconnected by mysqlproxy because of inactivity (idle timeout "
                        + limits.idleTimeoutMillis() + " ms)");
    }

    /** Called when the client stopped reading for the write timeout (the task runs only while it is unwritable). */
    static void clientStalled(ClientSession session, Limits limits) {
        if (session.state() != SessionState.CLOSED && !session.clientWritable()) {
            LOG.warnf("session %s: client %s read nothing for %s ms while a result waited, closing",
                    (Object) session.id(), session.clientAddress(), limits.writeTimeoutMillis());
            session.close();
        }
    }

    static void backendSilent(ClientSession session, Limits limits) {
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
