package io.mysqlproxy.core;

import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.OkPacket;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.scripting.HookOutcome;
import io.mysqlproxy.scripting.ScriptSession;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

import java.util.List;

/**
 * A login without a backend: {@code connect_server} answered the client with a greeting of its own, so the script
 * plays the server. The proxy accepts the client's login with an OK of its own, unless {@code read_auth} refuses it
 * or answers with its own OK; the session's commands then go to the script alone.
 */
final class LoginWithoutBackend {
    private final ClientSession session;
    private final Channel client;
    private final LoginHooks hooks;
    /** The login is over: the client was accepted. */
    private final Runnable accepted;

    LoginWithoutBackend(ClientSession session, Channel client, LoginHooks hooks, Runnable accepted) {
        this.session = session;
        this.client = client;
        this.hooks = hooks;
        this.accepted = accepted;
    }

    /** The client's login arrived with sequence id {@code seq}. */
    void login(int seq) {
        ScriptSession script = session.scriptSession();
        if (!script.has("read_auth")) {
            accept(null, seq);
            return;
        }
        hooks.whenDone(script.readAuth(session.connectionInfo()), () -> { }, outcome -> {
            if (outcome.error() != null) {
                session.closeWithError(seq + 1, ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_PROXY, outcome.error());
            } else if (outcome.action() == HookOutcome.SEND_RESULT) {
                List<byte[]> answer = outcome.response();
                if (LoginHooks.answerStartsWith(answer, Packets.OK)) {
                    accept(PacketFramer.frameAll(client.alloc(), seq + 1, answer), seq);
                } else {
                    session.closeAfter(PacketFramer.frameAll(client.alloc(), seq + 1, answer));
                }
            } else {
                accept(null, seq);
            }
        });
    }

    private void accept(ByteBuf answer, int seq) {
        client.writeAndFlush(answer != null ? answer : OkPacket.framedPlain(client.alloc(), seq + 1));
        accepted.run();
    }
}
