package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Capabilities;
import io.mysqlproxy.protocol.HandshakeV10;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

import java.util.function.Consumer;

/**
 * A backend connection logged in as {@code user}, idle in its {@link IdlePool} or lent to a client by it:
 * {@code capabilities} are those it negotiated, {@code state} the session state it carries (what multiplexing may
 * replay).
 */
record PooledConnection(Channel channel, HandshakeV10 greeting, String user, long capabilities,
                        ConnectionState state) {
    /** Capabilities that only matter while logging in: a pooled connection fits clients that differ in these. */
    private static final long LOGIN_ONLY = Capabilities.CLIENT_SSL | Capabilities.CLIENT_CONNECT_WITH_DB
            | Capabilities.CLIENT_CONNECT_ATTRS | Capabilities.CLIENT_PLUGIN_AUTH
            | Capabilities.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | Capabilities.CLIENT_SECURE_CONNECTION
            | Capabilities.CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS | Capabilities.CLIENT_REMEMBER_OPTIONS
            | Capabilities.CLIENT_SSL_VERIFY_SERVER_CERT | Capabilities.CLIENT_LONG_PASSWORD_FLAG;

    /** Whether a client that negotiates {@code negotiated} can go on with this connection's session. */
    boolean fits(long negotiated) {
        return ((negotiated ^ capabilities) & ~LOGIN_ONLY) == 0;
    }

    /**
     * Moves the connection to the event loop of the client that took it (a session's sockets share one thread),
     * then calls {@code done} on that loop with whether it worked.
     */
    void moveTo(EventLoop loop, Consumer<Boolean> done) {
        if (channel.eventLoop() == loop) {
            done.accept(true);
            return;
        }
        channel.deregister().addListener(d -> {
            if (!d.isSuccess()) {
                loop.execute(() -> done.accept(false));
                return;
            }
            loop.register(channel).addListener(r -> done.accept(r.isSuccess() && channel.isActive()));
        });
    }
}
