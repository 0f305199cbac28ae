package io.mysqlproxy.core;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/**
 * A client accepted while its listener runs as many logins as it may ({@link LoginGate}): it waits, not yet greeted,
 * for a login to end. It has no backend connection; a client sends nothing before the greeting, so what it sends is
 * dropped. Leaving, or the session ending, gives up its place in the queue.
 */
final class WaitingForLogin implements SessionPhase {
    private final LoginGate.Waiter waiter;

    WaitingForLogin(LoginGate.Waiter waiter) {
        this.waiter = waiter;
    }

    @Override
    public void clientRead(ByteBuf buf) {
        buf.release();
    }

    @Override
    public void serverRead(ByteBuf buf) {
        buf.release();
    }

    @Override
    public void secondServerRead(Channel from, ByteBuf buf) {
        buf.release();
    }

    @Override
    public void serverLost() {
    }

    @Override
    public void secondServerLost(Channel channel) {
    }

    @Override
    public void clientLeft() {
        waiter.cancel();
    }

    /** Not logged in: a session ending now is refused, never ended between commands. */
    @Override
    public boolean quiet() {
        return false;
    }

    @Override
    public void release() {
        waiter.cancel();
    }
}
