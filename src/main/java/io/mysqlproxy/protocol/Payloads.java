package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * Readers and writers of the protocol's basic data types on a payload (little-endian integers, length-encoded
 * integers and strings, NUL-terminated strings).
 *
 * @see <a href="https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_data_types.html">Basic data types</a>
 */
public final class Payloads {
    private Payloads() {
    }

    /** Size in bytes of the length-encoded integer whose first byte is {@code first}. */
    public static int lenEncSize(int first) {
        switch (first & 0xFF) {
            case 0xFC:
                return 3;
            case 0xFD:
                return 4;
            case 0xFE:
                return 9;
            default:
                return 1;
        }
    }

    public static long readLenEncInt(ByteBuf buf) {
        int first = buf.readUnsignedByte();
        switch (first) {
            case 0xFC:
                return buf.readUnsignedShortLE();
            case 0xFD:
                return buf.readUnsignedMediumLE();
            case 0xFE:
                return buf.readLongLE();
            case 0xFB:
                return -1; // the NULL marker of text rows
            case 0xFF:
                throw new MalformedPacketException("0xff is not a length-encoded integer");
            default:
                return first;
        }
    }

    public static void writeLenEncInt(ByteBuf buf, long value) {
        if (value < 0xFB) {
            buf.writeByte((int) value);
        } else if (value <= 0xFFFF) {
            buf.writeByte(0xFC).writeShortLE((int) value);
        } else if (value <= 0xFFFFFF) {
            buf.writeByte(0xFD).writeMediumLE((int) value);
        } else {
            buf.writeByte(0xFE).writeLongLE(value);
        }
    }

    public static byte[] readLenEncBytes(ByteBuf buf) {
        long len = readLenEncInt(buf);
        return readFixed(buf, len);
    }

    public static String readLenEncString(ByteBuf buf) {
        return new String(readLenEncBytes(buf), StandardCharsets.UTF_8);
    }

    public static void writeLenEncBytes(ByteBuf buf, byte[] value) {
        writeLenEncInt(buf, value.length);
        buf.writeBytes(value);
    }

    public static void writeLenEncString(ByteBuf buf, String value) {
        writeLenEncBytes(buf, value.getBytes(StandardCharsets.UTF_8));
    }

    public static byte[] readFixed(ByteBuf buf, long len) {
        if (len < 0 || len > buf.readableBytes()) {
            throw new MalformedPacketException("field of " + len + " bytes runs past the end of the packet");
        }
        byte[] out = new byte[(int) len];
        buf.readBytes(out);
        return out;
    }

    public static byte[] readNulBytes(ByteBuf buf) {
        int end = buf.indexOf(buf.readerIndex(), buf.writerIndex(), (byte) 0);
        if (end < 0) {
            throw new MalformedPacketException("string is not NUL-terminated");
        }
        byte[] out = readFixed(buf, end - buf.readerIndex());
        buf.skipBytes(1);
        return out;
    }

    public static String readNulString(ByteBuf buf) {
        return new String(readNulBytes(buf), StandardCharsets.UTF_8);
    }

    /** Reads up to a NUL or the end of the payload, whichever comes first (older peers omit the final NUL). */
    public static String readNulOrEofString(ByteBuf buf) {
        int end = buf.indexOf(buf.readerIndex(), buf.writerIndex(), (byte) 0);
        if (end < 0) {
            return new String(readFixed(buf, buf.readableBytes()), StandardCharsets.UTF_8);
        }
        return readNulString(buf);
    }

    public static void writeNulString(ByteBuf buf, String value) {
        buf.writeBytes(value.getBytes(StandardCharsets.UTF_8)).writeByte(0);
    }

    public static void writeNulBytes(ByteBuf buf, byte[] value) {
        buf.writeBytes(value).writeByte(0);
    }

    public static String readRestAsString(ByteBuf buf) {
        return new String(readFixed(buf, buf.readableBytes()), StandardCharsets.UTF_8);
    }

    /**
     * Whether the text from {@code from} on starts, after blanks, with {@code word} (lower case; matched in any case
     * of ASCII letters) and a blank: a cheap look at a statement before tokenizing it.
     */
    public static boolean startsWithWord(ByteBuf buf, int from, String word) {
        int end = buf.writerIndex();
        int i = from;
        while (i < end && Character.isWhitespace(buf.getByte(i))) {
            i++;
        }
        if (end - i <= word.length()) {
            return false;
        }
        for (int k = 0; k < word.length(); k++) {
            if ((buf.getByte(i + k) | 0x20) != word.charAt(k)) {
                return false;
            }
        }
        return Character.isWhitespace(buf.getByte(i + word.length()));
    }
}
