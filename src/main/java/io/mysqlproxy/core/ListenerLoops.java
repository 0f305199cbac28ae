package io.mysqlproxy.core;

import io.mysqlproxy.scripting.ScriptRuntime;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.AbstractEventExecutorGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;

import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The event loops a listener registers its accepted connections with: the Lua threads' loops while it has a script
 * (so that a connection's hooks run on its own thread), the shared ones otherwise. Decided per connection, so a
 * script added or removed at run time applies to the next connection. Its life is the shared loops' life.
 */
final class ListenerLoops extends AbstractEventExecutorGroup implements EventLoopGroup {
    private final EventLoopGroup shared;
    private final Supplier<ScriptRuntime> scripts;

    ListenerLoops(EventLoopGroup shared, Supplier<ScriptRuntime> scripts) {
        this.shared = shared;
        this.scripts = scripts;
    }

    private EventLoopGroup current() {
        ScriptRuntime runtime = scripts.get();
        EventLoopGroup lua = runtime == null ? null : runtime.eventLoops();
        return lua != null && !lua.isShuttingDown() ? lua : shared;
    }

    @Override
    public EventLoop next() {
        return current().next();
    }

    @Override
    public ChannelFuture register(Channel channel) {
        return current().register(channel);
    }

    @Override
    public ChannelFuture register(ChannelPromise promise) {
        return current().register(promise);
    }

    @Override
    @Deprecated
    public ChannelFuture register(Channel channel, ChannelPromise promise) {
        return current().register(channel, promise);
    }

    @Override
    public Iterator<EventExecutor> iterator() {
        return shared.iterator();
    }

    @Override
    public boolean isShuttingDown() {
        return shared.isShuttingDown();
    }

    @Override
    public Future<?> shutdownGracefully(long quietPeriod, long timeout, TimeUnit unit) {
        throw new UnsupportedOperationException("the listener does not own its event loops");
    }

    @Override
    public Future<?> terminationFuture() {
        return shared.terminationFuture();
    }

    @Override
    @Deprecated
    public void shutdown() {
        throw new UnsupportedOperationException("the listener does not own its event loops");
    }

    @Override
    public boolean isShutdown() {
        return shared.isShutdown();
    }

    @Override
    public boolean isTerminated() {
        return shared.isTerminated();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return shared.awaitTermination(timeout, unit);
    }
}
