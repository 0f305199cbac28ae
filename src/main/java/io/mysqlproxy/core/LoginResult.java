package io.mysqlproxy.core;

import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.Packet;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.scripting.HookOutcome;
import io.mysqlproxy.scripting.ScriptSession;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;

import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * The backend's packets after the client's login: the exchanges of its authentication method go to the client; its
 * final word (OK or ERR) goes through {@code read_auth_result} when the script has it, and an OK waits while a
 * second login is under way. Reports the result the client got (OK or ERR) to the login.
 */
final class LoginResult {
    private final ClientSession session;
    private final Channel client;
    private final LoginHooks hooks;
    private final SequenceMapping seqs;
    private final SecondLogin second;
    /** Whether the backend's connection closed meanwhile. */
    private final BooleanSupplier backendClosed;
    /** Gets {@link Packets#OK} or {@link Packets#ERR}: what the client was told. */
    private final IntConsumer finished;
    /** Server packets of the authentication exchange before its result: 0 when the first reply was the result. */
    private int exchanges;

    LoginResult(ClientSession session, Channel client, LoginHooks hooks, SequenceMapping seqs, SecondLogin second,
                BooleanSupplier backendClosed, IntConsumer finished) {
        this.session = session;
        this.client = client;
        this.hooks = hooks;
        this.seqs = seqs;
        this.second = second;
        this.backendClosed = backendClosed;
        this.finished = finished;
    }

    /** Whether the backend accepted the client's first answer with no exchange (no auth switch, no extra step). */
    boolean acceptedAtOnce() {
        return exchanges == 0;
    }

    /** A packet of the backend after the client's login. */
    void read(Packet packet) {
        int first = packet.firstByte();
        boolean result = first == Packets.OK || first == Packets.ERR;
        if (!result) {
            exchanges++;
        }
        ScriptSession script = session.scriptSession();
        int seq = seqs.toClient(packet.seq());
        if (result && script != null && script.has("read_auth_result")) {
            byte[] reply = ByteBufUtil.getBytes(packet.payload());
            hooks.whenDone(script.readAuthResult(session.connectionInfo(), reply), () -> packet.payload().release(),
                    outcome -> decided(outcome, packet, seq));
            return;
        }
        deliver(packet, seq);
    }

    /**
     * The backend's word goes to the client, unless it is an OK and a second login was asked for: then the OK waits
     * until the client has answered for the second backend too.
     */
    private void deliver(Packet packet, int seq) {
        int first = packet.firstByte();
        if (first == Packets.OK && second.holdOk(packet, seq)) {
            return;
        }
        second.abandon();
        LoginRelay.forward(client, packet, seq);
        finished.accept(first);
    }

    /** After {@code read_auth_result}: the backend's reply goes to the client, or the script's replacement. */
    private void decided(HookOutcome outcome, Packet packet, int seq) {
        if (outcome.error() != null) {
            packet.payload().release();
            session.closeWithError(seq, ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_PROXY, outcome.error());
            return;
        }
        if (outcome.action() == HookOutcome.SEND_RESULT) {
            packet.payload().release();
            List<byte[]> answer = outcome.response();
            second.abandon();
            client.writeAndFlush(PacketFramer.frameAll(client.alloc(), seq, answer));
            // the client is logged in only if both the backend and the script said so
            boolean ok = packet.firstByte() == Packets.OK && LoginHooks.answerStartsWith(answer, Packets.OK);
            finished.accept(ok ? Packets.OK : Packets.ERR);
        } else {
            deliver(packet, seq);
        }
        if (backendClosed.getAsBoolean() && session.state() != SessionState.CLOSED) {
            session.close();
        }
    }
}
