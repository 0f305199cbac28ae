package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Frame boundaries found in a stream split anywhere; payloads of 16 MiB and more framed and reassembled. */
class FramingTest {
    private record Seen(int seq, int length, boolean continuation, String head) {
    }

    private static List<Seen> scan(byte[] stream, int... cuts) {
        List<Seen> seen = new ArrayList<>();
        FrameScanner scanner = new FrameScanner(h -> {
            StringBuilder head = new StringBuilder();
            for (int i = 0; i < h.available(); i++) {
                head.append(String.format("%02x", h.byteAt(i)));
            }
            seen.add(new Seen(h.seq(), h.length(), h.continuation(), head.toString()));
        });
        int from = 0;
        for (int cut : cuts) {
            scanner.scan(Unpooled.wrappedBuffer(Arrays.copyOfRange(stream, from, cut)));
            from = cut;
        }
        scanner.scan(Unpooled.wrappedBuffer(Arrays.copyOfRange(stream, from, stream.length)));
        assertThat(scanner.atBoundary()).isTrue();
        return seen;
    }

    @Test
    void sameFramesWhereverTheStreamIsSplit() {
        byte[] long40 = new byte[40];
        Arrays.fill(long40, (byte) 7);
        byte[] stream = Bytes.concat(Bytes.frame(0, Bytes.of(0x03, 'S', 'E', 'L')), Bytes.frame(1, new byte[0]),
                Bytes.frame(2, long40), Bytes.frame(3, Bytes.of(0xfe, 0, 0, 2, 0)));
        List<Seen> whole = scan(stream);
        assertThat(whole).hasSize(4);
        assertThat(whole.get(2).head()).hasSize(FrameHead.MAX_BYTES * 2);
        assertThat(whole.get(3)).isEqualTo(new Seen(3, 5, false, "fe00000200"));
        for (int a = 1; a < stream.length; a++) {
            assertThat(scan(stream, a)).as("split at %d", a).isEqualTo(whole);
            for (int b = a + 1; b < stream.length; b += 3) {
                assertThat(scan(stream, a, b)).as("split at %d and %d", a, b).isEqualTo(whole);
            }
        }
    }

    @Test
    void longPayloadIsFramedInFullFramesAndAnEmptyOne() {
        byte[] payload = new byte[Packets.MAX_FRAME_PAYLOAD];
        payload[0] = 0x03;
        ByteBuf framed = PacketFramer.frame(UnpooledByteBufAllocator.DEFAULT, 5, Unpooled.wrappedBuffer(payload));
        assertThat(framed.readableBytes()).isEqualTo(Packets.MAX_FRAME_PAYLOAD + 8);
        byte[] bytes = new byte[framed.readableBytes()];
        framed.readBytes(bytes);
        List<Seen> seen = scan(bytes, 1000, 16_000_000, Packets.MAX_FRAME_PAYLOAD + 6);
        assertThat(seen).extracting(Seen::seq).containsExactly(5, 6);
        assertThat(seen).extracting(Seen::continuation).containsExactly(false, true);
        assertThat(seen.get(1).length()).isZero();
        assertThat(PacketFramer.framesFor(Packets.MAX_FRAME_PAYLOAD + 5)).isEqualTo(2);
    }

    @Test
    void assemblerJoinsContinuationFramesAcrossChunks() {
        int size = Packets.MAX_FRAME_PAYLOAD * 2 + 10;
        byte[] payload = new byte[size];
        for (int i = 0; i < size; i++) {
            payload[i] = (byte) i;
        }
        ByteBuf framed = PacketFramer.frame(UnpooledByteBufAllocator.DEFAULT, 254, Unpooled.wrappedBuffer(payload));
        PacketAssembler assembler = new PacketAssembler(UnpooledByteBufAllocator.DEFAULT, Integer.MAX_VALUE);
        Packet packet = null;
        while (framed.isReadable()) {
            assertThat(packet).isNull();
            assembler.add(framed.readRetainedSlice(Math.min(framed.readableBytes(), 3_000_001)));
            packet = assembler.next();
        }
        assertThat(packet).isNotNull();
        assertThat(packet.seq()).isEqualTo(254);
        byte[] back = new byte[packet.payload().readableBytes()];
        packet.payload().readBytes(back);
        assertThat(back).isEqualTo(payload);
        assertThat(assembler.hasRemainder()).isFalse();
    }

    @Test
    void assemblerRefusesPacketsOverItsLimit() {
        PacketAssembler assembler = new PacketAssembler(UnpooledByteBufAllocator.DEFAULT, 100);
        assembler.add(Unpooled.wrappedBuffer(Bytes.of(0xff, 0xff, 0x00, 0x00)));
        assertThatThrownBy(assembler::next).isInstanceOf(MalformedPacketException.class)
                .hasMessageContaining("100 bytes");
    }

    @Test
    void frameHeadRefusesReadsPastItsBytes() {
        List<Throwable> errors = new ArrayList<>();
        new FrameScanner(h -> {
            try {
                h.u16At(1);
            } catch (MalformedPacketException e) {
                errors.add(e);
            }
        }).scan(Unpooled.wrappedBuffer(Bytes.frame(1, Bytes.of(0x00, 0x01))));
        assertThat(errors).hasSize(1);
    }
}
