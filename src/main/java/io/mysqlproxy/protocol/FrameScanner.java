package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Finds frame boundaries in a byte stream that arrives in arbitrary chunks, without consuming or copying the chunks:
 * the relay forwards each chunk as it came and the scanner only looks at it. For every frame it reports the header
 * and the first payload bytes (at least {@link FrameHead#MAX_BYTES}; more where a listener reads a statement's text)
 * to its listener, once they have all arrived; only a head split across chunks is copied, into a buffer the scanner
 * makes when it first needs one.
 */
public final class FrameScanner {
    /** Receives the head of every frame. */
    @FunctionalInterface
    public interface Listener {
        void onFrame(FrameHead head);
    }

    private final Listener listener;
    private final int headBytes;
    private final FrameHead head = new FrameHead();
    private final byte[] header = new byte[Packets.HEADER_SIZE];
    private ByteBuf headCopy;
    private int headerFill;
    private int headWanted;
    private int headFill;
    private boolean inPayload;
    private long payloadRemaining;
    private boolean nextIsContinuation;
    private long framesSeen;

    public FrameScanner(Listener listener) {
        this(listener, FrameHead.MAX_BYTES);
    }

    /** @param headBytes payload bytes every frame head holds at least (when the frame has them) */
    public FrameScanner(Listener listener, int headBytes) {
        this.listener = listener;
        this.headBytes = Math.max(FrameHead.MAX_BYTES, headBytes);
    }

    /** True between frames: the last chunk ended exactly after a whole frame. */
    public boolean atBoundary() {
        return !inPayload && headerFill == 0;
    }

    /** True when the next frame continues the payload of the last one. */
    public boolean inLongPayload() {
        return nextIsContinuation;
    }

    public long framesSeen() {
        return framesSeen;
    }

    /**
     * Reports one whole packet, already reassembled, as a single frame head whose length is the whole payload's
     * (so a packet of 16 MiB or more is never mistaken for a short one).
     */
    public void scanWhole(int seq, ByteBuf payload) {
        framesSeen++;
        head.seq = seq;
        head.length = payload.readableBytes();
        head.continuation = false;
        emit(payload, payload.readerIndex(), Math.min(payload.readableBytes(), headBytes), payload.readableBytes());
    }

    /** Looks at the readable bytes of {@code chunk}, leaving its indexes unchanged. */
    public void scan(ByteBuf chunk) {
        int i = chunk.readerIndex();
        int end = chunk.writerIndex();
        while (i < end) {
            if (!inPayload) {
                i = readHeader(chunk, i, end);
            } else if (headFill < headWanted) {
                i = readHead(chunk, i, end);
            } else {
                int n = (int) Math.min(payloadRemaining, end - i);
                i += n;
                payloadRemaining -= n;
                if (payloadRemaining == 0) {
                    inPayload = false;
                }
            }
        }
    }

    private int readHeader(ByteBuf chunk, int i, int end) {
        if (headerFill == 0 && end - i >= Packets.HEADER_SIZE) {
            startFrame(chunk.getUnsignedMediumLE(i), chunk.getUnsignedByte(i + 3));
            return i + Packets.HEADER_SIZE;
        }
        while (headerFill < Packets.HEADER_SIZE && i < end) {
            header[headerFill++] = chunk.getByte(i++);
        }
        if (headerFill == Packets.HEADER_SIZE) {
            headerFill = 0;
            startFrame((header[0] & 0xFF) | (header[1] & 0xFF) << 8 | (header[2] & 0xFF) << 16, header[3] & 0xFF);
        }
        return i;
    }

    private void startFrame(int length, int seq) {
        framesSeen++;
        head.seq = seq;
        head.length = length;
        head.continuation = nextIsContinuation;
        nextIsContinuation = length == Packets.MAX_FRAME_PAYLOAD;
        headWanted = Math.min(length, headBytes);
        headFill = 0;
        payloadRemaining = length;
        inPayload = length > 0;
        if (length == 0) {
            emit(Unpooled.EMPTY_BUFFER, 0, 0, 0);
        }
    }

    private int readHead(ByteBuf chunk, int i, int end) {
        if (headFill == 0 && end - i >= headWanted) {
            headFill = headWanted;
            emit(chunk, i, headWanted, (int) Math.min(payloadRemaining, end - i));
            return i; // the head stays part of the payload that is skipped next
        }
        int n = Math.min(headWanted - headFill, end - i);
        if (headFill == 0) {
            if (headCopy == null) {
                headCopy = Unpooled.buffer(FrameHead.MAX_BYTES, headBytes);
            }
            headCopy.clear();
        }
        headCopy.writeBytes(chunk, i, n);
        headFill += n;
        payloadRemaining -= n;
        if (payloadRemaining == 0) {
            inPayload = false;
        }
        if (headFill == headWanted) {
            emit(headCopy, 0, headWanted, headWanted);
        }
        return i + n;
    }

    private void emit(ByteBuf buf, int offset, int available, int contiguous) {
        head.buf = buf;
        head.offset = offset;
        head.available = available;
        head.contiguous = contiguous;
        listener.onFrame(head);
        head.buf = null;
    }
}
