package io.mysqlproxy.core;

import io.mysqlproxy.protocol.MalformedPacketException;
import io.mysqlproxy.protocol.Packet;
import io.mysqlproxy.protocol.PacketAssembler;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

/**
 * A {@link TimedExchange} that reads the server's answer packet by packet: a malformed answer, a lost connection
 * and the end of its time are failures that leave the connection in no state to be used again.
 */
abstract class PacketExchange extends TimedExchange {
    private final PacketAssembler replies;

    PacketExchange(Channel channel, EventLoop loop, long timeoutMillis, int maxPayload) {
        super(loop, timeoutMillis);
        this.replies = new PacketAssembler(channel.alloc(), maxPayload);
    }

    /** One packet of the answer (released after the call); ends the exchange when the answer is complete. */
    abstract void take(Packet p);

    /** Tells the outcome that the exchange failed; {@code broken}: the connection cannot be used again. */
    abstract void failed(String reason, boolean broken);

    @Override
    public final void read(ByteBuf buf) {
        if (over()) {
            buf.release();
            return;
        }
        replies.add(buf);
        try {
            Packet p;
            while (!over() && (p = replies.next()) != null) {
                try {
                    take(p);
                } finally {
                    p.payload().release();
                }
            }
        } catch (MalformedPacketException | IndexOutOfBoundsException e) {
            fail("malformed answer: " + e.getMessage(), true);
        }
    }

    /** Ends the exchange with a failure, unless it is over. */
    final void fail(String reason, boolean broken) {
        if (end()) {
            failed(reason, broken);
        }
    }

    @Override
    public final void connectionLost() {
        failed("the connection closed", true);
    }

    @Override
    final void timedOut(long timeoutMillis) {
        fail("no answer within " + timeoutMillis + " ms", true);
    }

    @Override
    final void released() {
        replies.release();
    }
}
