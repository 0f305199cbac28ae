package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Capabilities;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.NativePassword;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;

/**
 * The client's login as the proxy needs it again after relaying it: to log the client into another connection
 * (a fresh one in place of a pooled one that did not fit, the second one a script asked for) with the client's
 * answer to that connection's scramble, and to know whether the client can be asked for such an answer.
 *
 * @param response     the client's handshake response
 * @param capabilities what the client asked for, without what the proxy cannot relay
 */
record ClientLogin(HandshakeResponse response, long capabilities) {

    /** The client's login with {@code auth} as its mysql_native_password answer. */
    HandshakeResponse answering(byte[] auth, long caps) {
        return new HandshakeResponse(caps, response.maxPacketSize(), response.charset(), response.username(), auth,
                response.database(), NativePassword.PLUGIN);
    }

    /** A login for a fresh connection: the client's login, answering that connection's scramble with {@code auth}. */
    ByteBuf loginWith(byte[] auth, Channel to) {
        ByteBuf login = to.alloc().buffer(128);
        answering(auth, capabilities & ~Capabilities.CLIENT_CONNECT_ATTRS).encode(login);
        return login;
    }

    /**
     * Whether the client can be asked to authenticate again, by a server with {@code serverCaps}: it logged in with
     * mysql_native_password and takes auth switches.
     */
    boolean canSwitch(long serverCaps) {
        String plugin = response.authPluginName();
        return Capabilities.has(capabilities & serverCaps, Capabilities.CLIENT_PLUGIN_AUTH)
                && (plugin == null || plugin.isEmpty() || NativePassword.PLUGIN.equals(plugin));
    }

    /**
     * A login packet a script built, re-encoded with the client's capabilities: the client goes on speaking the
     * protocol it negotiated, whatever flags the script's packet carried. Connection attributes are dropped.
     */
    ByteBuf rewrittenBy(byte[] scriptPacket, ByteBufAllocator alloc) {
        HandshakeResponse r = HandshakeResponse.decode(Unpooled.wrappedBuffer(scriptPacket));
        ByteBuf out = alloc.buffer(scriptPacket.length + 16);
        new HandshakeResponse(capabilities & ~Capabilities.CLIENT_CONNECT_ATTRS, response.maxPacketSize(), r.charset(),
                r.username(), r.authResponse(), r.database() != null ? r.database() : response.database(),
                r.authPluginName() != null ? r.authPluginName() : NativePassword.PLUGIN).encode(out);
        return out;
    }

    /** The client's capabilities without what the proxy cannot relay, written back into its login packet. */
    static long maskedCapabilities(ByteBuf payload, boolean backendTls) {
        long caps = HandshakeResponse.readCapabilities(payload) & ~Capabilities.UNSUPPORTED & ~Capabilities.CLIENT_SSL;
        if (backendTls) {
            caps |= Capabilities.CLIENT_SSL;
        }
        HandshakeResponse.writeCapabilities(payload, caps);
        return caps;
    }
}
