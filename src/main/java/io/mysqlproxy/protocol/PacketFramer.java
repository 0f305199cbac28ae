package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;

import java.util.List;

/**
 * The one place that writes packet headers: puts a payload into frames of at most {@link Packets#MAX_FRAME_PAYLOAD}
 * bytes, each with its length and the next sequence id, and ends a payload that fills its last frame exactly with an
 * empty frame.
 */
public final class PacketFramer {
    /**
     * Payloads up to this size are copied behind their header into one buffer: cheaper than a composite of two
     * (one write vector, one reference count) for the small packets most results are made of.
     */
    static final int COPY_LIMIT = 2048;

    private PacketFramer() {
    }

    /**
     * Frames {@code payload} starting at sequence id {@code seq}; takes ownership of {@code payload}.
     *
     * @return the framed bytes; the caller learns the last sequence id used from {@link #framesFor(int)}
     */
    public static ByteBuf frame(ByteBufAllocator alloc, int seq, ByteBuf payload) {
        int length = payload.readableBytes();
        if (length <= COPY_LIMIT) {
            ByteBuf out = alloc.buffer(Packets.HEADER_SIZE + length);
            out.writeMediumLE(length).writeByte(seq).writeBytes(payload, payload.readerIndex(), length);
            payload.release();
            return out;
        }
        if (length < Packets.MAX_FRAME_PAYLOAD) {
            ByteBuf header = alloc.buffer(Packets.HEADER_SIZE);
            header.writeMediumLE(length).writeByte(seq);
            return alloc.compositeBuffer(2).addComponents(true, header, payload);
        }
        int frames = framesFor(length);
        CompositeByteBuf out = alloc.compositeBuffer(frames * 2);
        for (int i = 0; i < frames; i++) {
            int chunk = Math.min(payload.readableBytes(), Packets.MAX_FRAME_PAYLOAD);
            ByteBuf header = alloc.buffer(Packets.HEADER_SIZE);
            header.writeMediumLE(chunk).writeByte((seq + i) & 0xFF);
            out.addComponent(true, header);
            if (chunk > 0) {
                out.addComponent(true, payload.readRetainedSlice(chunk));
            }
        }
        payload.release();
        return out;
    }

    /** Frames {@code payloads} one after another, the first with sequence id {@code firstSeq}. */
    public static ByteBuf frameAll(ByteBufAllocator alloc, int firstSeq, List<byte[]> payloads) {
        CompositeByteBuf out = alloc.compositeBuffer(Math.max(2, payloads.size()));
        int seq = firstSeq;
        for (byte[] p : payloads) {
            out.addComponent(true, frame(alloc, seq & 0xFF, Unpooled.wrappedBuffer(p)));
            seq += framesFor(p.length);
        }
        return out;
    }

    /** Number of frames a payload of {@code length} bytes takes. */
    public static int framesFor(int length) {
        return length / Packets.MAX_FRAME_PAYLOAD + 1;
    }
}
