package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class PacketAssemblerTest {
    /**
     * What follows the last whole packet (a TLS client hello sent right behind the TLS request) must stay intact
     * after the assembler lets go of what it read, even when the allocator hands that memory to someone else.
     */
    @Test
    void theRemainderOutlivesTheReadBytes() {
        PooledByteBufAllocator alloc = new PooledByteBufAllocator(true);
        PacketAssembler assembler = new PacketAssembler(alloc, 1 << 16);
        ByteBuf chunk = alloc.directBuffer(64);
        chunk.writeBytes(new byte[] {3, 0, 0, 1, 'a', 'b', 'c'}).writeBytes("REMAINDER".getBytes(StandardCharsets.US_ASCII));
        assembler.add(chunk);
        Packet p = assembler.next();
        assertThat(p.payload().toString(StandardCharsets.US_ASCII)).isEqualTo("abc");
        p.payload().release();
        ByteBuf rest = assembler.drainRemainder();
        assembler.release();
        for (int i = 0; i < 64; i++) { // reuse freed memory
            ByteBuf other = alloc.directBuffer(64);
            other.writeZero(64);
        }
        assertThat(rest.toString(StandardCharsets.US_ASCII)).isEqualTo("REMAINDER");
        rest.release();
    }
}
