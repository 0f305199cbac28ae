package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.config.Limits;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * Opens backend connections: TCP sockets in the proxy, in-memory channels in the unit tests of the session's phases.
 */
@FunctionalInterface
interface BackendConnector {
    /** A new connection to {@code backend} on {@code loop}, its events going to {@code handler}. */
    ChannelFuture connect(EventLoop loop, Backend backend, ChannelHandler handler);

    /**
     * Sockets of {@code transport}, given up after the connect timeout of {@code limits}. The timeout is a task of
     * its own rather than the channel option: the channel keeps the option's task for its whole life, one more
     * object per backend connection.
     */
    static BackendConnector sockets(NettyTransport transport, Limits limits) {
        long timeout = limits.connectTimeoutMillis();
        return (loop, backend, handler) -> {
            ChannelFuture connect = new Bootstrap()
                    .group(loop)
                    .channelFactory(transport.channels())
                    .option(ChannelOption.TCP_NODELAY, true)
                    // a failed write (the server closed while the client still sent) shuts the output only: what
                    // the server sent before it closed, its error, is read and relayed before the end of the
                    // connection
                    .option(ChannelOption.AUTO_CLOSE, false)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 0)
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(BackendHandler.NAME, handler);
                        }
                    })
                    .connect(backend.address().host(), backend.address().port());
            if (timeout > 0 && !connect.isDone()) {
                ScheduledFuture<?> expiry = loop.schedule(() -> {
                    if (((ChannelPromise) connect).tryFailure(new ConnectTimeoutException(
                            "connection timed out after " + timeout + " ms: " + backend.address()))) {
                        connect.channel().close();
                    }
                }, timeout, TimeUnit.MILLISECONDS);
                connect.addListener(done -> expiry.cancel(false));
            }
            return connect;
        };
    }
}
