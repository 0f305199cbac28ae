package io.mysqlproxy.core;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * Hands the events of a backend socket to the session that owns it: its main backend connection, or the second
 * one a routing script asked for ({@code companion}).
 */
final class BackendHandler extends ChannelInboundHandlerAdapter {
    static final String NAME = "backend";
    private final ClientSession session;
    private final boolean companion;

    BackendHandler(ClientSession session) {
        this(session, false);
    }

    BackendHandler(ClientSession session, boolean companion) {
        this.session = session;
        this.companion = companion;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (companion) {
            session.companionRead(ctx.channel(), (ByteBuf) msg);
        } else {
            session.backendRead((ByteBuf) msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!companion) {
            session.backendReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        session.backendWritabilityChanged(ctx.channel());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent idle) {
            session.backendIdle(ctx.channel(), idle);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (companion) {
            session.companionInactive(ctx.channel());
        } else {
            session.backendInactive();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (companion) {
            session.companionException(cause);
            ctx.close(); // handled as the channel goes inactive
        } else {
            session.backendException(cause);
            ctx.close();
        }
    }
}
