package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

/**
 * Collects chunks until whole packets are available, joining continuation frames. Used where the proxy must read
 * packets whole (the connection phase), never on the streaming relay path.
 */
public final class PacketAssembler {
    private final CompositeByteBuf buffer;
    private final int maxPayload;

    public PacketAssembler(ByteBufAllocator alloc, int maxPayload) {
        this.buffer = alloc.compositeBuffer(64);
        this.maxPayload = maxPayload;
    }

    /** Takes ownership of {@code chunk}. */
    public void add(ByteBuf chunk) {
        buffer.addComponent(true, chunk);
    }

    /** The next whole packet, or null when more bytes are needed. */
    public Packet next() {
        int total = 0;
        int index = buffer.readerIndex();
        int frameLength;
        do {
            if (buffer.writerIndex() - index < Packets.HEADER_SIZE) {
                return null;
            }
            frameLength = buffer.getUnsignedMediumLE(index);
            total += frameLength;
            if (total > maxPayload) {
                throw new MalformedPacketException("packet of more than " + maxPayload
                        + " bytes where a short one was expected");
            }
            index += Packets.HEADER_SIZE + frameLength;
            if (index > buffer.writerIndex()) {
                return null;
            }
        } while (frameLength == Packets.MAX_FRAME_PAYLOAD);
        int seq = buffer.getUnsignedByte(buffer.readerIndex() + 3);
        ByteBuf payload = buffer.alloc().buffer(total);
        while (buffer.readerIndex() < index) {
            int length = buffer.readUnsignedMediumLE();
            buffer.skipBytes(1);
            payload.writeBytes(buffer, length);
        }
        buffer.discardReadComponents();
        return new Packet(seq, payload);
    }

    /**
     * Whatever has arrived beyond the last whole packet, copied: the caller owns it. The assembler is empty
     * afterwards. (A slice would share the components the assembler frees as read: the bytes could change under
     * their new owner, as a TLS hello handed to the TLS handler once did.)
     */
    public ByteBuf drainRemainder() {
        ByteBuf rest = buffer.alloc().buffer(buffer.readableBytes());
        rest.writeBytes(buffer);
        buffer.discardReadComponents();
        return rest;
    }

    /** Bytes held that no packet was taken from yet. */
    public int buffered() {
        return buffer.readableBytes();
    }

    public boolean hasRemainder() {
        return buffer.isReadable();
    }

    public void release() {
        buffer.release();
    }
}
