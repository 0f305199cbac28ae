package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;

/**
 * OK_Packet, with the 0x00 header (or 0xFE where it ends a result set under CLIENT_DEPRECATE_EOF).
 *
 * @see <a href="https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_ok_packet.html">OK_Packet</a>
 */
public record OkPacket(long affectedRows, long lastInsertId, int statusFlags, int warnings, String info) {

    public static OkPacket decode(ByteBuf payload) {
        try {
            int header = payload.readUnsignedByte();
            if (header != Packets.OK && header != Packets.EOF) {
                throw new MalformedPacketException(String.format("OK packet starts with 0x%02x", header));
            }
            long affected = Payloads.readLenEncInt(payload);
            long insertId = Payloads.readLenEncInt(payload);
            int status = payload.readUnsignedShortLE();
            int warnings = payload.readUnsignedShortLE();
            String info = payload.isReadable() ? Payloads.readRestAsString(payload) : "";
            return new OkPacket(affected, insertId, status, warnings, info);
        } catch (IndexOutOfBoundsException e) {
            throw new MalformedPacketException("truncated OK packet", e);
        }
    }

    /** The OK the proxy answers with on its own behalf (nothing affected, autocommit on), framed as {@code seq}. */
    public static ByteBuf framedPlain(ByteBufAllocator alloc, int seq) {
        ByteBuf payload = alloc.buffer(8);
        new OkPacket(0, 0, ServerStatus.AUTOCOMMIT, 0, "").encode(payload);
        return PacketFramer.frame(alloc, seq, payload);
    }

    public void encode(ByteBuf out) {
        out.writeByte(Packets.OK);
        Payloads.writeLenEncInt(out, affectedRows);
        Payloads.writeLenEncInt(out, lastInsertId);
        out.writeShortLE(statusFlags);
        out.writeShortLE(warnings);
        if (!info.isEmpty()) {
            out.writeBytes(info.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Status flags of an OK packet whose head is in {@code head}, without decoding the rest. */
    public static int statusFlags(FrameHead head) {
        int pos = 1;
        pos += Payloads.lenEncSize(head.byteAt(pos));
        pos += Payloads.lenEncSize(head.byteAt(pos));
        return head.u16At(pos);
    }

    /** The last insert id of an OK packet whose head is in {@code head}. */
    public static long lastInsertId(FrameHead head) {
        return head.lenEncAt(1 + Payloads.lenEncSize(head.byteAt(1)));
    }
}
