package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.PacketFramer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;

import java.util.function.Consumer;

/** TLS started in the middle of a login: the client's, after its SSL request, and the proxy's own to a backend. */
final class LoginTls {
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

    /**
     * Sends {@code server} an SSL request with the client's capabilities (sequence id 1) and starts TLS to it;
     * {@code done} gets null once the handshake succeeded, else its failure.
     */
    static void toBackend(ProxyContext context, Channel server, Backend backend, long caps,
                          HandshakeResponse response, Consumer<Throwable> done) {
        ByteBuf request = server.alloc().buffer(HandshakeResponse.FIXED_LENGTH);
        HandshakeResponse.encodeFixedPart(request, caps, response.maxPacketSize(), response.charset());
        server.writeAndFlush(PacketFramer.frame(server.alloc(), 1, request));
        SslHandler tls = TlsContexts.backendHandler(context.backendSsl(), server.alloc(), backend.address(),
                context.backendTls().verify());
        server.pipeline().addFirst("tls", tls);
        tls.handshakeFuture().addListener(f -> done.accept(f.isSuccess() ? null : f.cause()));
    }
}
