package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Commands;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/**
 * Commands relayed as they come, without a script: the client's bytes go to the backend connection, the server's
 * back to the client, through the session's {@link FrameRelay}, which follows where each command's response ends.
 * Under multiplexing the {@link Multiplexer} decides when and on which connection each command runs.
 */
final class PlainCommands extends CommandPhase {
    private final FrameRelay relay;

    PlainCommands(ClientSession session, Multiplexer mux, FrameRelay relay) {
        super(session, mux);
        this.relay = relay;
        if (mux != null) {
            mux.relayThrough(this);
        }
    }

    @Override
    void start(ByteBuf clientRest, ByteBuf serverRest) {
        if (serverRest.isReadable()) {
            serverRead(serverRest);
        } else {
            serverRest.release();
        }
        if (clientRest.isReadable()) {
            clientRead(clientRest);
        } else {
            clientRest.release();
        }
        session.backendReadComplete();
        session.flushToBackend();
    }

    @Override
    public void clientRead(ByteBuf buf) {
        if (Commands.isQuitFrame(buf) && quiet() && quitIntoPool()) {
            buf.release();
            return;
        }
        if (mux != null) {
            mux.clientRead(buf);
            return;
        }
        send(buf);
    }

    /** Relays client bytes to the backend connection the session holds now. */
    void send(ByteBuf buf) {
        if (relay.toBackend(session.client(), session.links().server(), buf)) {
            responseMoved(); // last: a multiplexed session may give the connection back (and start its next one) here
        }
    }

    @Override
    public void serverRead(ByteBuf buf) {
        if (takenByMultiplexer(buf)) {
            return;
        }
        relay.toClient(session.client(), session.links().server(), buf);
        responseMoved(); // last: a multiplexed session may give the connection back (and start its next command) here
    }

    @Override
    public void secondServerRead(Channel from, ByteBuf buf) {
        buf.release(); // only a script asks for a second connection
    }

    /** The running command's response went on, or ended. */
    private void responseMoved() {
        relay.logIfUntracked(session.client(), session.backend());
        boolean idle = relay.tracker().idle();
        session.transition(idle ? SessionState.READ_QUERY : SessionState.READ_QUERY_RESULT);
        if (mux != null && idle && session.relayQuiet()) {
            mux.commandEnded();
        }
        session.closeIfDraining();
    }

    @Override
    public boolean quiet() {
        return session.relayQuiet() && (mux == null || !mux.busy());
    }

    @Override
    public void release() {
        // the frame relay is the session's: it outlives the command phase
    }
}
