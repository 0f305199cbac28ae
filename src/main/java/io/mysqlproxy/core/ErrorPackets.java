package io.mysqlproxy.core;

import io.mysqlproxy.protocol.ErrPacket;
import io.mysqlproxy.protocol.PacketFramer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/** ERR packets the proxy sends on its own behalf, framed and ready to write. */
public final class ErrorPackets {
    private ErrorPackets() {
    }

    public static ByteBuf encode(ByteBufAllocator alloc, int seq, int code, String sqlState, String message) {
        ByteBuf payload = alloc.buffer(16 + message.length());
        new ErrPacket(code, sqlState, message).encode(payload);
        return PacketFramer.frame(alloc, seq & 0xFF, payload);
    }
}
