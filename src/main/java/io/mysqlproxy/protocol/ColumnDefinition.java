package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Protocol::ColumnDefinition41, one column of a result set.
 *
 * @see <a href="https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset_column_definition.html">ColumnDefinition41</a>
 */
public record ColumnDefinition(String catalog, String schema, String table, String orgTable, String name,
                               String orgName, int charset, long length, int type, int flags, int decimals) {
    /** The column MySQL Proxy generates for a script's result set: latin1, 32 wide, PRI_KEY_FLAG. */
    public static ColumnDefinition generated(String name, int type) {
        return new ColumnDefinition("def", "", "", "", name, name, 8, 32, type, 2, 0);
    }

    public static ColumnDefinition decode(ByteBuf payload) {
        return decode(payload, false);
    }

    /** With MariaDB's extended metadata a length-encoded field follows the original name. */
    public static ColumnDefinition decode(ByteBuf payload, boolean extendedMetadata) {
        try {
            String catalog = Payloads.readLenEncString(payload);
            String schema = Payloads.readLenEncString(payload);
            String table = Payloads.readLenEncString(payload);
            String orgTable = Payloads.readLenEncString(payload);
            String name = Payloads.readLenEncString(payload);
            String orgName = Payloads.readLenEncString(payload);
            if (extendedMetadata) {
                Payloads.readLenEncBytes(payload);
            }
            Payloads.readLenEncInt(payload); // length of the fixed fields, always 0x0c
            int charset = payload.readUnsignedShortLE();
            long length = payload.readUnsignedIntLE();
            int type = payload.readUnsignedByte();
            int flags = payload.readUnsignedShortLE();
            int decimals = payload.readUnsignedByte();
            return new ColumnDefinition(catalog, schema, table, orgTable, name, orgName, charset, length, type, flags,
                    decimals);
        } catch (IndexOutOfBoundsException e) {
            throw new MalformedPacketException("truncated column definition", e);
        }
    }

    public void encode(ByteBuf out) {
        encode(out, false);
    }

    public void encode(ByteBuf out, boolean extendedMetadata) {
        Payloads.writeLenEncString(out, catalog);
        Payloads.writeLenEncString(out, schema);
        Payloads.writeLenEncString(out, table);
        Payloads.writeLenEncString(out, orgTable);
        Payloads.writeLenEncString(out, name);
        Payloads.writeLenEncString(out, orgName);
        if (extendedMetadata) {
            out.writeByte(0); // no extended type information
        }
        out.writeByte(0x0c);
        out.writeShortLE(charset);
        out.writeIntLE((int) length);
        out.writeByte(type);
        out.writeShortLE(flags);
        out.writeByte(decimals);
        out.writeZero(2);
    }
}
