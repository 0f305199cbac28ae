package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.ErrPacket;
import io.mysqlproxy.protocol.Packet;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.protocol.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

/**
 * The proxy prepares a client's statement on a held connection ({@link PreparedStatements}): COM_STMT_PREPARE, whose
 * answer (the statement id, then the parameter and column definitions) reaches only the proxy.
 */
final class StatementCopy extends PacketExchange {
    /** How it ended. Called on the session's event loop, once. */
    interface Outcome {
        void prepared(long id);

        /**
         * The server refused the statement, or ({@code broken}) sent something that is not an answer to it or did
         * not answer in time: the connection is then in no state to be used again.
         */
        void failed(String reason, boolean broken);
    }

    private final boolean deprecateEof;
    private final Outcome outcome;
    private long id = -1;
    /** Packets of the answer still to come after its first: definitions and their EOFs. */
    private long packetsLeft;

    StatementCopy(Channel channel, boolean deprecateEof, String sql, EventLoop loop, long timeoutMillis,
                  Outcome outcome) {
        super(channel, loop, timeoutMillis, 1 << 16);
        this.deprecateEof = deprecateEof;
        this.outcome = outcome;
        channel.writeAndFlush(PacketFramer.frame(channel.alloc(), 0,
                Commands.payload(channel.alloc(), Commands.COM_STMT_PREPARE, sql)));
    }

    @Override
    void take(Packet p) {
        if (id < 0) {
            if (p.firstByte() == Packets.ERR) {
                fail(ErrPacket.decode(p.payload()).toString(), false);
                return;
            }
            if (p.firstByte() != Packets.OK) {
                fail(String.format("answered COM_STMT_PREPARE with a packet starting 0x%02x", p.firstByte()), true);
                return;
            }
            ByteBuf ok = p.payload();
            id = ok.getUnsignedIntLE(ok.readerIndex() + 1);
            int columns = ok.getUnsignedShortLE(ok.readerIndex() + 5);
            int params = ok.getUnsignedShortLE(ok.readerIndex() + 7);
            packetsLeft = definitions(params) + definitions(columns);
        } else {
            packetsLeft--;
        }
        if (packetsLeft == 0 && end()) {
            outcome.prepared(id);
        }
    }

    private long definitions(int count) {
        return count == 0 ? 0 : deprecateEof ? count : count + 1;
    }

    @Override
    void failed(String reason, boolean broken) {
        outcome.failed(reason, broken);
    }
}
