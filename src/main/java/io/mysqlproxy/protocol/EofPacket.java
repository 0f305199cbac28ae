package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;

/**
 * EOF_Packet, which ends column definitions and rows when CLIENT_DEPRECATE_EOF is not negotiated.
 *
 * @see <a href="https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_eof_packet.html">EOF_Packet</a>
 */
public record EofPacket(int warnings, int statusFlags) {

    public static EofPacket decode(ByteBuf payload) {
        if (payload.readableBytes() < 5 || payload.readUnsignedByte() != Packets.EOF) {
            throw new MalformedPacketException("not an EOF packet");
        }
        return new EofPacket(payload.readUnsignedShortLE(), payload.readUnsignedShortLE());
    }

    public void encode(ByteBuf out) {
        out.writeByte(Packets.EOF).writeShortLE(warnings).writeShortLE(statusFlags);
    }

    /** Status flags of an EOF packet whose head is in {@code head}. */
    public static int statusFlags(FrameHead head) {
        return head.u16At(3);
    }
}
