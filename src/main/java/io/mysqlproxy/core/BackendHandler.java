package io.mysqlproxy.core;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.io.IOException;

/**
 * Hands the events of a backend socket to the session that owns it: its main backend connection, or the second
 * one a routing script asked for (its second login). While the connection waits in an idle pool it belongs to no
 * session: the same handler watches it for the pool. A multiplexed connection changes hands after every statement,
 * so the handler stays in place and only its owner changes.
 */
final class BackendHandler extends ChannelInboundHandlerAdapter {
    static final String NAME = "backend";
    private volatile ClientSession session;
    private volatile boolean secondServer;
    /** The pool holding the connection while it has no session, and its entry there. */
    private volatile IdlePool pool;
    private volatile PooledConnection idle;

    BackendHandler(ClientSession session) {
        this(session, false);
    }

    BackendHandler(ClientSession session, boolean secondServer) {
        this.session = session;
        this.secondServer = secondServer;
    }

    /** The handler of {@code channel}'s pipeline. */
    static BackendHandler of(Channel channel) {
        return (BackendHandler) channel.pipeline().get(NAME);
    }

    /** A session takes the connection over. */
    void lend(ClientSession to, boolean asSecondServer) {
        pool = null;
        idle = null;
        secondServer = asSecondServer;
        session = to;
    }

    /** The connection waits in {@code inPool}: whatever the server says now is its last word before it closes. */
    void park(IdlePool inPool, PooledConnection entry) {
        session = null;
        idle = entry;
        pool = inPool;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ClientSession s = session;
        if (s == null) {
            ((ByteBuf) msg).release();
            IdlePool p = pool;
            if (p != null && p.remove(idle)) {
                ctx.close();
            }
        } else if (secondServer) {
            s.secondServerRead(ctx.channel(), (ByteBuf) msg);
        } else {
            s.backendRead((ByteBuf) msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ClientSession s = session;
        if (s != null && !secondServer) {
            s.backendReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        ClientSession s = session;
        if (s != null) {
            s.backendWritabilityChanged(ctx.channel());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ClientSession s = session;
        if (s == null) {
            IdlePool p = pool;
            if (p != null) {
                p.closedWhileIdle(idle);
            }
        } else if (secondServer) {
            s.secondServerInactive(ctx.channel());
        } else {
            s.backendInactive();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ClientSession s = session;
        if (s != null) {
            if (secondServer) {
                s.secondServerException(cause);
            } else {
                s.backendException(cause);
            }
        }
        if (!(cause instanceof IOException)) {
            ctx.close(); // handled as the channel goes inactive
        }
        // an I/O error ends the connection by itself: a failed read closes it, a failed write shuts its output
        // (AUTO_CLOSE is off) and the connection ends once what the server sent before it closed has been read
    }
}
