package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.ArrayList;
import java.util.List;

/**
 * The payloads of a whole text result set built by the proxy (for a script's {@code proxy.response}), with EOF
 * packets or, under CLIENT_DEPRECATE_EOF, the closing OK packet the client negotiated.
 */
public final class ResultSetWriter {
    private ResultSetWriter() {
    }

    public static List<ByteBuf> payloads(ByteBufAllocator alloc, List<ColumnDefinition> columns, List<String[]> rows,
                                         boolean deprecateEof, boolean extendedMetadata, int status) {
        List<ByteBuf> out = new ArrayList<>(rows.size() + columns.size() + 3);
        ByteBuf count = alloc.buffer(9);
        Payloads.writeLenEncInt(count, columns.size());
        out.add(count);
        for (ColumnDefinition c : columns) {
            ByteBuf b = alloc.buffer(64);
            c.encode(b, extendedMetadata);
            out.add(b);
        }
        if (!deprecateEof) {
            ByteBuf eof = alloc.buffer(5);
            new EofPacket(0, status).encode(eof);
            out.add(eof);
        }
        for (String[] row : rows) {
            ByteBuf b = alloc.buffer(32);
            TextRow.encode(b, row);
            out.add(b);
        }
        ByteBuf end = alloc.buffer(9);
        if (deprecateEof) {
            new OkPacket(0, 0, status, 0, "").encode(end);
            end.setByte(end.readerIndex(), Packets.EOF);
        } else {
            new EofPacket(0, status).encode(end);
        }
        out.add(end);
        return out;
    }
}
