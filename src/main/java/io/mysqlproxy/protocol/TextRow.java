package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * A row of a text result set: one length-encoded string per column, 0xFB for NULL.
 *
 * @see <a href="https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset_row.html">Text resultset row</a>
 */
public final class TextRow {
    private static final int NULL = 0xFB;

    private TextRow() {
    }

    /** The values of the row, null for SQL NULL. */
    public static String[] decode(ByteBuf payload, int columns) {
        String[] values = new String[columns];
        for (int i = 0; i < columns; i++) {
            if (payload.getUnsignedByte(payload.readerIndex()) == NULL) {
                payload.skipBytes(1);
            } else {
                values[i] = Payloads.readLenEncString(payload);
            }
        }
        return values;
    }

    public static void encode(ByteBuf out, String[] values) {
        for (String v : values) {
            if (v == null) {
                out.writeByte(NULL);
            } else {
                Payloads.writeLenEncBytes(out, v.getBytes(StandardCharsets.UTF_8));
            }
        }
    }
}
