package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.protocol.AuthSwitchRequest;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.HandshakeV10;
import io.mysqlproxy.protocol.Packet;
import io.mysqlproxy.protocol.PacketFramer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;

import java.util.function.Consumer;

/**
 * A login onto a connection from MySQL Proxy's login pool. The client gets the greeting the connection was opened
 * with, so its login answers that connection's scramble, and the login reaches the server as COM_CHANGE_USER, which
 * the server checks as a login and which resets the session. A connection that negotiated other capabilities than
 * the client's goes back to the pool instead: a fresh one is opened, and the client is asked to answer its scramble
 * (an auth switch, which mysql_native_password clients can do; others are asked to reconnect).
 */
final class PooledTakeover {
    private final ClientSession session;
    private final Listener listener;
    private final Channel client;
    /** Where the takeover stands. */
    private enum Step {
        /** The login is not on a pooled connection. */
        NONE,
        /** The client was given a pooled connection ({@link #reused}) and answers its greeting. */
        POOLED,
        /** The pooled connection did not fit the client: a fresh one is being opened. */
        REPLACING,
        /** The fresh connection greeted: the client is asked to answer its scramble. */
        AWAITING_ANSWER,
        /** The client's answer went to the fresh connection. */
        REPLACED
    }

    private Step step = Step.NONE;
    /** The pooled connection the client was given, while {@link Step#POOLED}. */
    private PooledConnection reused;
    private int switchSeq;

    PooledTakeover(ClientSession session, Listener listener, Channel client) {
        this.session = session;
        this.listener = listener;
        this.client = client;
    }

    /** The client is given {@code idle}: the caller sends it the greeting that connection had. */
    void took(PooledConnection idle) {
        reused = idle;
        step = Step.POOLED;
    }

    /** Whether the client's login goes to a pooled connection. */
    boolean pooled() {
        return step == Step.POOLED;
    }

    /** Whether a fresh connection replaces a pooled one that did not fit: its greeting is not the client's. */
    boolean replacing() {
        return step == Step.REPLACING || step == Step.AWAITING_ANSWER || step == Step.REPLACED;
    }

    /**
     * The client's login (sequence id {@code seq}) on the pooled connection {@code server}: COM_CHANGE_USER when
     * the connection fits the client's capabilities, else the connection goes back and {@code openFresh} opens
     * another to the same backend.
     */
    void login(Channel server, ClientLogin login, long serverCaps, int seq, SequenceMapping seqs,
               Consumer<Backend> openFresh) {
        long negotiated = login.capabilities() & serverCaps;
        if (reused.fits(negotiated)) {
            seqs.align(seq, 0);
            sendChangeUser(server, login.response(), negotiated);
            return;
        }
        PooledConnection idle = reused;
        reused = null;
        step = Step.NONE;
        Backend backend = session.backend();
        session.links().released();
        IdlePool pool = listener.pool(backend);
        if (pool.crowdedWithout(idle) || !pool.offer(idle)) {
            IdlePool.discard(idle);
        }
        if (!login.canSwitch(serverCaps)) {
            session.closeWithError(seq + 1, ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_CONNECTION_FAILURE,
                    "mysqlproxy: the pooled backend connection does not fit this client; please reconnect");
            return;
        }
        step = Step.REPLACING;
        switchSeq = seq + 1;
        openFresh.accept(backend);
    }

    /** The fresh connection greeted: the client is asked to answer its scramble. */
    void freshGreeting(HandshakeV10 fresh) {
        step = Step.AWAITING_ANSWER;
        askToAnswer(client, fresh, switchSeq);
    }

    /** Whether the client's next packet is its answer to the fresh connection's scramble. */
    boolean awaitingAnswer() {
        return step == Step.AWAITING_ANSWER;
    }

    /** The client answered the fresh scramble: its first login, with that answer, goes to the fresh connection. */
    void answer(Packet packet, Channel server, ClientLogin login, SequenceMapping seqs) {
        step = Step.REPLACED;
        byte[] auth = ByteBufUtil.getBytes(packet.payload());
        packet.payload().release();
        seqs.align(packet.seq(), 1);
        server.writeAndFlush(PacketFramer.frame(server.alloc(), 1, login.loginWith(auth, server)));
    }

    /** COM_CHANGE_USER with {@code response}'s user, answer and database, to a logged-in connection. */
    static void sendChangeUser(Channel to, HandshakeResponse response, long negotiated) {
        ByteBuf out = to.alloc().buffer(64 + response.authResponse().length);
        response.encodeChangeUser(out, negotiated);
        to.writeAndFlush(PacketFramer.frame(to.alloc(), 0, out));
    }

    /** Asks the client to authenticate again, answering {@code greeting}'s scramble. */
    static void askToAnswer(Channel client, HandshakeV10 greeting, int seq) {
        ByteBuf out = client.alloc().buffer(48);
        AuthSwitchRequest.nativePassword(greeting).encode(out);
        client.writeAndFlush(PacketFramer.frame(client.alloc(), seq & 0xFF, out));
    }
}
