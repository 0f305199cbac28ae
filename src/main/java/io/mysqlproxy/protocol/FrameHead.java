package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * The header and first bytes of one frame, as a {@link FrameScanner} sees it. One instance is reused for every
 * frame, so a listener must not keep it: it is valid only during the callback.
 */
public final class FrameHead {
    /** Enough for an OK packet's header byte, two length-encoded integers and the status flags. */
    public static final int MAX_BYTES = 24;

    int seq;
    int length;
    boolean continuation;
    ByteBuf buf;
    int offset;
    int available;
    /** Payload bytes readable from {@code offset} in the chunk at hand: at least {@code available}. */
    int contiguous;

    public int seq() {
        return seq;
    }

    /** Payload length of this frame. */
    public int length() {
        return length;
    }

    /** True when this frame continues a payload whose previous frame was full. */
    public boolean continuation() {
        return continuation;
    }

    /** How many payload bytes {@link #byteAt(int)} can read: the whole payload or the scanner's head size. */
    public int available() {
        return available;
    }

    /**
     * Up to {@code max} payload bytes from {@code from} on as text: the head's bytes (which the scanner assembles when
     * a frame is split across reads), and what else of the frame arrived in the same chunk.
     */
    public String text(int from, int max) {
        int n = Math.min(max, contiguous - from);
        return n <= 0 ? "" : buf.toString(offset + from, n, StandardCharsets.UTF_8);
    }

    public int byteAt(int index) {
        check(index, 1);
        return buf.getUnsignedByte(offset + index);
    }

    public int firstByte() {
        return available == 0 ? -1 : byteAt(0);
    }

    public int u16At(int index) {
        check(index, 2);
        return buf.getUnsignedShortLE(offset + index);
    }

    public long u32At(int index) {
        check(index, 4);
        return buf.getUnsignedIntLE(offset + index);
    }

    /** Value of the length-encoded integer at {@code index}; its size is {@link Payloads#lenEncSize(int)}. */
    public long lenEncAt(int index) {
        int first = byteAt(index);
        switch (first) {
            case 0xFC:
                check(index, 3);
                return buf.getUnsignedShortLE(offset + index + 1);
            case 0xFD:
                check(index, 4);
                return buf.getUnsignedMediumLE(offset + index + 1);
            case 0xFE:
                check(index, 9);
                return buf.getLongLE(offset + index + 1);
            default:
                return first;
        }
    }

    private void check(int index, int size) {
        if (index < 0 || index + size > available) {
            throw new MalformedPacketException("frame of " + length + " bytes is too short to read " + size
                    + " bytes at " + index);
        }
    }
}
