package io.mysqlproxy.core;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/**
 * What a session does with the events of its connections in the phase it is in. A {@link ClientSession} holds
 * exactly one phase and forwards every event to it: the login ({@link LoginRelay}), commands relayed as they come
 * ({@link PlainCommands}) or run through a script ({@link ScriptedRelay}), and {@link #CLOSED}. Each phase handles
 * the loss of its connections itself.
 */
interface SessionPhase {
    void clientRead(ByteBuf buf);

    /** Bytes from the connection the client logged in with, or under multiplexing the one it holds now. */
    void serverRead(ByteBuf buf);

    /** Bytes from the second backend connection a routing script asked for at login. */
    void secondServerRead(Channel from, ByteBuf buf);

    /** The connection the client logged in with (or holds now) closed. */
    void serverLost();

    void secondServerLost(Channel channel);

    /** The client closed its connection: the phase may give the backend connections to a pool before they close. */
    void clientLeft();

    /** The client's socket can take more (or no more) bytes. */
    void clientWritabilityChanged(boolean writable);

    /**
     * No command runs and no packet is half-relayed in either direction: the session may end, or give its connection
     * away.
     */
    boolean quiet();

    /** The session ended: the phase lets go of what it buffered. */
    void release();

    /** After the session ended: whatever still arrives is dropped. */
    SessionPhase CLOSED = new SessionPhase() {
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
        }

        @Override
        public void clientWritabilityChanged(boolean writable) {
        }

        @Override
        public boolean quiet() {
            return false;
        }

        @Override
        public void release() {
        }
    };
}
