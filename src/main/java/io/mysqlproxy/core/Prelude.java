package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.ErrPacket;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.MalformedPacketException;
import io.mysqlproxy.protocol.Packet;
import io.mysqlproxy.protocol.PacketAssembler;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.protocol.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Commands the proxy runs on a borrowed connection before a multiplexed client's, to bring it to the client's
 * session state: a ping after a long idle, COM_RESET_CONNECTION, the default database, the replayed SETs, the last
 * insert id. Each is answered by OK or ERR; what an OK confirms is recorded in the connection's state.
 */
final class Prelude {
    /** How a prelude ended. Called on the session's event loop. */
    interface Outcome {
        /** Every step succeeded: the client's command may go. */
        void ready();

        /** A step failed with {@code message}; {@code resetUnknown}: the server does not know COM_RESET_CONNECTION. */
        void failed(String message, boolean resetUnknown);

        /** The server sent something that is not a packet, or did not answer within the read timeout. */
        void broken(int code, String sqlState, String message);
    }

    private final Channel channel;
    private final List<ByteBuf> steps;
    private final List<Runnable> effects;
    /** Which step is COM_RESET_CONNECTION, or -1. */
    private final int resetStep;
    private final ConnectionState state;
    private final Outcome outcome;
    private final PacketAssembler replies;
    private final ScheduledFuture<?> timer;
    private int done;
    private boolean over;

    private Prelude(Channel channel, ConnectionState state, List<ByteBuf> steps, List<Runnable> effects,
                    int resetStep, EventLoop loop, long readTimeoutMillis, Outcome outcome) {
        this.channel = channel;
        this.state = state;
        this.steps = steps;
        this.effects = effects;
        this.resetStep = resetStep;
        this.outcome = outcome;
        this.replies = new PacketAssembler(channel.alloc(), 1 << 20);
        this.timer = readTimeoutMillis <= 0 ? null : loop.schedule(() -> timedOut(readTimeoutMillis),
                readTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * What {@code connection} needs before a command of a client whose session is {@code mirror}, or null when it
     * needs nothing (the common case, on every statement).
     *
     * @param ping          whether the connection was idle long enough to be pinged first
     * @param readsInsertId whether the command reads LAST_INSERT_ID(), which must then be the client's
     */
    static Prelude toBring(PooledConnection connection, SessionMirror mirror, boolean ping, boolean readsInsertId,
                           EventLoop loop, long readTimeoutMillis, Outcome outcome) {
        ConnectionState s = connection.state();
        List<String> sets = mirror.sets();
        String database = mirror.database();
        long lastInsertId = mirror.lastInsertId();
        boolean reset = s.needsReset || !startsWith(sets, s.sets);
        if (!ping && !reset && s.sets.size() == sets.size() && (database == null || database.equals(s.database))
                && !(readsInsertId && s.lastInsertId != lastInsertId)) {
            return null;
        }
        List<ByteBuf> steps = new ArrayList<>();
        List<Runnable> afterOk = new ArrayList<>();
        Channel ch = connection.channel();
        if (ping) {
            steps.add(Commands.payload(ch.alloc(), Commands.COM_PING, null));
            afterOk.add(() -> { });
        }
        int resetStep = reset ? steps.size() : -1;
        if (reset) {
            steps.add(Commands.payload(ch.alloc(), Commands.COM_RESET_CONNECTION, null));
            afterOk.add(s::reset);
        }
        if (database != null && (reset || !database.equals(s.database))) {
            steps.add(Commands.payload(ch.alloc(), Commands.COM_INIT_DB, database));
            afterOk.add(() -> s.database = database);
        }
        for (int i = reset ? 0 : s.sets.size(); i < sets.size(); i++) {
            String set = sets.get(i);
            steps.add(Commands.payload(ch.alloc(), Commands.COM_QUERY, set));
            afterOk.add(() -> s.sets.add(set));
        }
        long onConnection = reset ? 0 : s.lastInsertId;
        if (readsInsertId && onConnection != lastInsertId) {
            steps.add(Commands.payload(ch.alloc(), Commands.COM_QUERY, "DO LAST_INSERT_ID(" + lastInsertId + ")"));
            afterOk.add(() -> s.lastInsertId = lastInsertId);
        }
        return new Prelude(ch, s, steps, afterOk, resetStep, loop, readTimeoutMillis, outcome);
    }

    private static boolean startsWith(List<String> wanted, List<String> applied) {
        return applied.size() <= wanted.size() && wanted.subList(0, applied.size()).equals(applied);
    }

    int steps() {
        return steps.size();
    }

    void start() {
        sendNext();
    }

    private void sendNext() {
        channel.writeAndFlush(PacketFramer.frame(channel.alloc(), 0, steps.get(done)));
    }

    /** The server's replies. */
    void read(ByteBuf buf) {
        replies.add(buf);
        try {
            Packet reply;
            while (!over && (reply = replies.next()) != null) {
                answered(reply);
            }
        } catch (MalformedPacketException e) {
            end();
            outcome.broken(ErrorCodes.NO_BACKEND, ErrorCodes.STATE_CONNECTION_FAILURE,
                    "sent a malformed packet: " + e.getMessage());
        }
    }

    private void answered(Packet reply) {
        try {
            if (reply.firstByte() != Packets.OK) {
                ErrPacket err = reply.firstByte() == Packets.ERR ? ErrPacket.decode(reply.payload().duplicate())
                        : null;
                state.needsReset = true;
                boolean resetUnknown = done == resetStep && err != null
                        && err.errorCode() == ErrorCodes.UNKNOWN_COMMAND;
                end();
                outcome.failed(err != null ? err.message() : "unexpected reply", resetUnknown);
                return;
            }
        } finally {
            reply.payload().release();
        }
        effects.get(done++).run();
        if (done < steps.size()) {
            sendNext();
        } else {
            end();
            outcome.ready();
        }
    }

    private void timedOut(long readTimeoutMillis) {
        if (!over) {
            end();
            outcome.broken(ErrorCodes.QUERY_TIMEOUT, ErrorCodes.STATE_GENERAL,
                    "did not answer within the read timeout of " + readTimeoutMillis + " ms");
        }
    }

    /** The prelude is over (or abandoned): what it holds is let go. */
    void end() {
        if (over) {
            return;
        }
        over = true;
        if (timer != null) {
            timer.cancel(false);
        }
        replies.release();
        for (int i = done + 1; i < steps.size(); i++) {
            steps.get(i).release();
        }
        done = steps.size();
    }
}
