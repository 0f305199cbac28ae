package io.mysqlproxy.core;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.spi.transport.Transport;

/**
 * The event loops and channel types the proxy's sockets use: Vert.x's own, so that the native epoll transport
 * Vert.x chose is used for client and backend sockets alike and both sides of a session share one event loop.
 */
public record NettyTransport(EventLoopGroup acceptors, EventLoopGroup eventLoops,
                             ChannelFactory<? extends ServerChannel> serverChannels,
                             ChannelFactory<? extends Channel> channels, boolean nativeTransport,
                             Transport vertxTransport) {

    public static NettyTransport of(Vertx vertx) {
        VertxInternal internal = (VertxInternal) vertx;
        return new NettyTransport(internal.getAcceptorEventLoopGroup(), internal.nettyEventLoopGroup(),
                internal.transport().serverChannelFactory(false), internal.transport().channelFactory(false),
                vertx.isNativeTransportEnabled(), internal.transport());
    }

    /** New event loops of the same kind as Vert.x's (channels can move between the two), named {@code name-…}. */
    public EventLoopGroup newEventLoops(int threads, String name) {
        return vertxTransport.eventLoopGroup(Transport.IO_EVENT_LOOP_GROUP, threads,
                new DefaultThreadFactory(name, true), 50);
    }
}
