package io.mysqlproxy.core;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;

/**
 * The event loops and channel types the proxy's sockets use: Vert.x's own, so that the native epoll transport
 * Vert.x chose is used for client and backend sockets alike and both sides of a session share one event loop.
 */
public record NettyTransport(EventLoopGroup acceptors, EventLoopGroup eventLoops,
                             ChannelFactory<? extends ServerChannel> serverChannels,
                             ChannelFactory<? extends Channel> channels, boolean nativeTransport) {

    public static NettyTransport of(Vertx vertx) {
        VertxInternal internal = (VertxInternal) vertx;
        return new NettyTransport(internal.getAcceptorEventLoopGroup(), internal.nettyEventLoopGroup(),
                internal.transport().serverChannelFactory(false), internal.transport().channelFactory(false),
                vertx.isNativeTransportEnabled());
    }
}
