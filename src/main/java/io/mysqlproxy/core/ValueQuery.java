package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.ErrPacket;
import io.mysqlproxy.protocol.Packet;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.protocol.Payloads;
import io.mysqlproxy.protocol.TextRow;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;


/**
 * A statement of the proxy's own on a held backend connection whose answer is one value (the first column of the
 * first row): a GTID position, the outcome of a wait. None of it reaches the client.
 */
final class ValueQuery extends PacketExchange {
    /** How it ended. Called on the session's event loop, once. */
    interface Outcome {
        /** The value; null for SQL NULL, an OK instead of a result, or no row. */
        void answered(String value);

        /**
         * The server answered with an error, or ({@code broken}) sent something that is not a result or did not
         * answer in time: the connection is then in no state to be used again.
         */
        void failed(String reason, boolean broken);
    }

    private final boolean deprecateEof;
    private final Outcome outcome;
    private long columns = -1;
    private long definitionsLeft;
    /** Past the column definitions (and their EOF). */
    private boolean inRows;
    private String value;

    /**
     * Sends {@code sql} on {@code channel}, whose connection negotiated {@code deprecateEof}; {@code timeoutMillis}
     * (0: none) bounds the wait for the whole answer.
     */
    ValueQuery(Channel channel, boolean deprecateEof, String sql, EventLoop loop, long timeoutMillis,
               Outcome outcome) {
        super(channel, loop, timeoutMillis, 1 << 16);
        this.deprecateEof = deprecateEof;
        this.outcome = outcome;
        channel.writeAndFlush(PacketFramer.frame(channel.alloc(), 0,
                Commands.payload(channel.alloc(), Commands.COM_QUERY, sql)));
    }

    @Override
    void take(Packet p) {
        int first = p.firstByte();
        if (first == Packets.ERR) {
            fail(ErrPacket.decode(p.payload()).toString(), false);
        } else if (columns < 0) {
            if (first == Packets.OK) {
                succeed();
                return;
            }
            columns = Payloads.readLenEncInt(p.payload());
            definitionsLeft = columns;
        } else if (definitionsLeft > 0) {
            definitionsLeft--;
        } else if (first == Packets.EOF && p.payload().readableBytes() < Packets.EOF_MAX_LENGTH
                || first == Packets.EOF && deprecateEof) {
            // without DEPRECATE_EOF an EOF ends the definitions, then the rows; with it an OK (0xFE) ends the rows
            if (inRows || deprecateEof) {
                succeed();
            } else {
                inRows = true;
            }
        } else {
            inRows = true;
            if (value == null) {
                value = TextRow.decode(p.payload(), (int) columns)[0];
            }
        }
    }

    @Override
    void failed(String reason, boolean broken) {
        outcome.failed(reason, broken);
    }

    private void succeed() {
        if (end()) {
            outcome.answered(value);
        }
    }
}
