package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.config.BackendTlsMode;
import io.mysqlproxy.protocol.Capabilities;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.PacketFramer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import org.jboss.logging.Logger;


/** TLS started in the middle of a login: the client's, after its SSL request, and the proxy's own to a backend. */
final class LoginTls {
    private static final Logger LOG = Logger.getLogger(LoginTls.class);
    private LoginTls() {
    }

    /** Whether the client's connection is encrypted (it asked for TLS during its login). */
    static boolean onClient(Channel client) {
        return client.pipeline().get(SslHandler.class) != null;
    }

    /**
     * The client asked for TLS: the handshake starts on its socket. {@code early} holds bytes that came with the
     * request: they are the start of the client's TLS handshake.
     */
    static void acceptClient(Listener listener, Channel client, ByteBuf early) {
        SslHandler tls = listener.clientSsl().newHandler(client.alloc());
        client.pipeline().addFirst("tls", tls);
        tls.handshakeFuture().addListener(f -> listener.metrics().tlsHandshake(f.isSuccess()));
        // the early bytes go through the new handler now, before any later read does, or the handshake would see
        // its bytes out of order; nothing comes back up from them: the client sends data only after the proxy
        // answers its hello
        if (early.isReadable()) {
            client.pipeline().fireChannelRead(early);
        } else {
            early.release();
        }
    }

    /** Whether the proxy logs into a backend that greeted with {@code serverCaps} over TLS, by {@code mode}. */
    static boolean wantedToBackend(BackendTlsMode mode, long serverCaps) {
        return mode == BackendTlsMode.REQUIRED
                || mode == BackendTlsMode.PREFERRED && Capabilities.has(serverCaps, Capabilities.CLIENT_SSL);
    }

    /**
     * Sends the session's backend connection {@code server} an SSL request with the client's capabilities (sequence
     * id 1) and starts TLS to it; {@code then} runs once the handshake succeeded. If it fails, the client gets an
     * error naming the backend (sequence id {@code errorSeq}) and {@code onFailure} lets go of what waited.
     */
    static void toBackend(ClientSession session, ProxyContext context, Channel server, long caps,
                          HandshakeResponse response, int errorSeq, Runnable onFailure, Runnable then) {
        Backend backend = session.backend();
        ByteBuf request = server.alloc().buffer(HandshakeResponse.FIXED_LENGTH);
        HandshakeResponse.encodeFixedPart(request, caps, response.maxPacketSize(), response.charset());
        server.writeAndFlush(PacketFramer.frame(server.alloc(), 1, request));
        SslHandler tls = TlsContexts.backendHandler(context.backendSsl(), server.alloc(), backend.address(),
                context.backendTls().verify());
        server.pipeline().addFirst("tls", tls);
        tls.handshakeFuture().addListener(f -> {
            if (f.isSuccess()) {
                then.run();
                return;
            }
            onFailure.run();
            LOG.warnf("session %d: TLS to backend %s failed: %s", session.id(), backend.address(),
                    f.cause().getMessage());
            session.closeWithError(errorSeq, ErrorCodes.NO_BACKEND, ErrorCodes.STATE_CONNECTION_FAILURE,
                    "mysqlproxy: TLS to backend " + backend.address() + " failed: " + f.cause().getMessage());
        });
    }
}
