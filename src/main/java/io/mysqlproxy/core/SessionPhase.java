package io.mysqlproxy.core;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/**
 * What a session does with the events of its connections in the phase it is in. A {@link ClientSession} holds
 * exactly one phase and forwards every event to it: the login ({@link LoginRelay}), commands relayed as they come
 * ({@link PlainCommands}) or run through a script ({@link ScriptedRelay}), and {@link #CLOSED}. Each phase handles
 * the loss of its connections, back-pressure and timeouts itself.
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

    /**
     * A tick of the session clock ({@code tickMillis} since the last one): neither the client nor a backend has
     * sent anything for at least {@code quietMillis}. The phase judges its timeouts.
     */
    default void timePassed(long tickMillis, long quietMillis) {
    }

    /*
     * The events below matter between and during commands only: before (the login writes one packet at a time, each
     * answering one of the client's) and after, a phase lets them pass.
     */

    /** The client closed its connection: the phase may give the backend connections to a pool before they close. */
    default void clientLeft() {
    }

    /** The client's socket can take more (or no more) bytes. */
    default void clientWritabilityChanged(boolean writable) {
    }

    /** {@code channel}, one of the session's backend connections, can take more (or no more) bytes. */
    default void serverWritabilityChanged(Channel channel) {
    }

    /**
     * No command runs and no packet is half-relayed in either direction: the session may end, or give its connection
     * away.
     */
    boolean quiet();

    /** The session ended: the phase lets go of what it buffered. */
    void release();

    /** After the session ended: whatever still arrives is dropped. */
    SessionPhase CLOSED = new Dropping();

    /** A phase with no backend connection and nothing to relay: whatever arrives is dropped. */
    class Dropping implements SessionPhase {
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
        public boolean quiet() {
            return false;
        }

        @Override
        public void release() {
        }
    }
}
