package io.mysqlproxy.core;

import io.netty.channel.Channel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderException;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/** How a session ends for its client: whether it can still read an error, the end of its stream, what is logged. */
final class SessionEnd {
    private static final Logger LOG = Logger.getLogger(SessionEnd.class);
    /** How long a client may go on sending after the proxy's last packet before its socket is closed. */
    private static final long CLOSE_LINGER_MILLIS = 2_000;
    /** {@link #errorSeq}'s answer when the client cannot read an error packet now. */
    static final int NO_ERROR_PACKET = -1;

    private SessionEnd() {
    }

    /**
     * The sequence id of an error the proxy sends the client now, or {@link #NO_ERROR_PACKET}: none can be read
     * before the greeting, nor while a server packet is half-relayed; during a command it follows the last packet
     * of the exchange, between commands and during the login it starts one.
     */
    static int errorSeq(SessionState state, boolean quiet, FrameRelay relay) {
        if (state == SessionState.CONNECT_SERVER || state.authenticated() && !relay.serverAtBoundary()) {
            return NO_ERROR_PACKET;
        }
        return state.authenticated() && !quiet ? relay.tracker().lastSeq() + 1 : 0;
    }

    /**
     * Ends the client connection after a last packet: half-closes it, so the client reads the packet and then the
     * end of the stream, and discards what the client still sends for a moment. Closing at once while the client
     * is still sending (an oversized packet, a refused login with data behind it) makes the kernel answer with a
     * reset, which can destroy the error packet before the client reads it.
     */
    static void lingerThenClose(Channel client) {
        if (client instanceof DuplexChannel duplex && client.isActive()) {
            duplex.shutdownOutput();
            client.config().setAutoRead(true);
            client.eventLoop().schedule(() -> {
                client.close();
            }, CLOSE_LINGER_MILLIS, TimeUnit.MILLISECONDS);
        } else {
            client.close();
        }
    }

    /** A socket error of one of the session's peers: the end of its connection follows and is handled there. */
    static void peerError(long sessionId, String peer, Throwable cause) {
        if (cause instanceof IOException) {
            LOG.debugf("session %d: %s: %s", sessionId, peer, cause.getMessage());
        } else if (cause instanceof DecoderException
                && cause.getCause() instanceof SSLException tls) {
            // a backend's TLS failure is reported by the login relay; a client's is logged here, once
            if (peer.startsWith("client")) {
                LOG.infof("session %d: %s: TLS failed: %s", sessionId, peer, tls.getMessage());
            }
        } else {
            LOG.warnf(cause, "session %d: %s: unexpected error", sessionId, peer);
        }
    }
}
