package io.mysqlproxy.core;

import io.mysqlproxy.protocol.ConversationTracker;
import io.mysqlproxy.protocol.FrameScanner;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Runs a cut transaction's statements again, one after the other, on a connection to the new primary, and compares
 * the checksum of each answer with that of the answer the client got; none of it reaches the client.
 */
final class ReplayedStatements extends TimedExchange {
    /** How it ended. Called on the session's event loop, once. */
    interface Outcome {
        /** Every statement answered as before: the transaction is where the client left it. */
        void replayed();

        /** A statement answered otherwise than before, or the replay could not finish. */
        void failed(String reason);
    }

    private final Channel channel;
    private final List<TransactionLog.Statement> statements;
    private final Outcome outcome;
    private final ConversationTracker tracker = new ConversationTracker();
    private final FrameScanner clientFrames = new FrameScanner(tracker::onClientFrame);
    private final FrameScanner serverFrames = new FrameScanner(tracker::onServerFrame);
    private final CRC32 answer = new CRC32();
    private int next;

    /** Starts at once; {@code timeoutMillis} (0: none) bounds the whole replay. */
    ReplayedStatements(Channel channel, boolean deprecateEof, List<TransactionLog.Statement> statements,
                      EventLoop loop, long timeoutMillis, Outcome outcome) {
        super(loop, timeoutMillis);
        this.channel = channel;
        this.statements = statements;
        this.outcome = outcome;
        tracker.deprecateEof(deprecateEof);
        sendNext();
    }

    private void sendNext() {
        answer.reset();
        ByteBuf command = statements.get(next).command().retainedDuplicate();
        clientFrames.scan(command);
        channel.writeAndFlush(command);
    }

    @Override
    public void read(ByteBuf buf) {
        try {
            if (over()) {
                return;
            }
            for (ByteBuffer b : buf.nioBuffers()) {
                answer.update(b);
            }
            serverFrames.scan(buf);
            if (!tracker.idle()) {
                return;
            }
            if (answer.getValue() != statements.get(next).checksum()) {
                fail("statement " + (next + 1) + " of the transaction answered otherwise than before");
            } else if (++next < statements.size()) {
                sendNext();
            } else if (end()) {
                outcome.replayed();
            }
        } finally {
            buf.release();
        }
    }

    private void fail(String reason) {
        if (end()) {
            outcome.failed(reason);
        }
    }

    @Override
    void timedOut(long timeoutMillis) {
        fail("no answer within " + timeoutMillis + " ms");
    }

    @Override
    public void connectionLost() {
        outcome.failed("the new primary's connection closed during the replay");
    }
}
