package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * ERR_Packet in its protocol 4.1 form, with the SQL state.
 *
 * @see <a href="https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_err_packet.html">ERR_Packet</a>
 */
public record ErrPacket(int errorCode, String sqlState, String message) {

    public static ErrPacket decode(ByteBuf payload) {
        try {
            int header = payload.readUnsignedByte();
            if (header != Packets.ERR) {
                throw new MalformedPacketException(String.format("ERR packet starts with 0x%02x", header));
            }
            int code = payload.readUnsignedShortLE();
            String state = "";
            if (payload.isReadable() && payload.getByte(payload.readerIndex()) == '#') {
                payload.skipBytes(1);
                state = new String(Payloads.readFixed(payload, 5), StandardCharsets.US_ASCII);
            }
            return new ErrPacket(code, state, Payloads.readRestAsString(payload));
        } catch (IndexOutOfBoundsException e) {
            throw new MalformedPacketException("truncated ERR packet", e);
        }
    }

    public void encode(ByteBuf out) {
        out.writeByte(Packets.ERR);
        out.writeShortLE(errorCode);
        out.writeByte('#');
        out.writeBytes(sqlState.getBytes(StandardCharsets.US_ASCII), 0, 5);
        out.writeBytes(message.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "ERROR " + errorCode + " (" + sqlState + "): " + message;
    }
}
