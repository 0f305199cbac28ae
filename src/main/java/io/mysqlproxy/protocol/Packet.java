package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;

/** One whole payload and the sequence id of its first frame; the receiver owns (and must release) the payload. */
public record Packet(int seq, ByteBuf payload) {
    public int firstByte() {
        return payload.isReadable() ? payload.getUnsignedByte(payload.readerIndex()) : -1;
    }
}
