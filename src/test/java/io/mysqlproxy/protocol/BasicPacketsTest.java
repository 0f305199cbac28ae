package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** OK, ERR and EOF packets on golden bytes, and the native-password scramble on a known hash. */
class BasicPacketsTest {
    @Test
    void errPacketRoundTrip() {
        String golden = "ff4804234859303030" + "4e6f207461626c65732075736564"; // 1096 HY000 No tables used
        ErrPacket err = ErrPacket.decode(Bytes.hex(golden));
        assertThat(err).isEqualTo(new ErrPacket(1096, "HY000", "No tables used"));
        ByteBuf out = Unpooled.buffer();
        err.encode(out);
        assertThat(Bytes.hex(out)).isEqualTo(golden);
    }

    @Test
    void okPacketRoundTripAndStatusFromItsHead() {
        String golden = "00" + "fc1027" + "05" + "0a00" + "0100" + "696e666f"; // 10000 rows, id 5, IN_TRANS|MORE
        OkPacket ok = OkPacket.decode(Bytes.hex(golden));
        assertThat(ok).isEqualTo(new OkPacket(10_000, 5, 0x000A, 1, "info"));
        ByteBuf out = Unpooled.buffer();
        ok.encode(out);
        assertThat(Bytes.hex(out)).isEqualTo(golden);
        int[] status = new int[1];
        new FrameScanner(h -> status[0] = OkPacket.statusFlags(h)).scan(Unpooled.wrappedBuffer(
                Bytes.frame(1, Bytes.hex(golden).array())));
        assertThat(status[0]).isEqualTo(0x000A);
    }

    @Test
    void eofPacketRoundTrip() {
        EofPacket eof = EofPacket.decode(Bytes.hex("fe00000200"));
        assertThat(eof).isEqualTo(new EofPacket(0, 2));
        ByteBuf out = Unpooled.buffer();
        eof.encode(out);
        assertThat(Bytes.hex(out)).isEqualTo("fe00000200");
        assertThatThrownBy(() -> EofPacket.decode(Bytes.hex("fe00"))).isInstanceOf(MalformedPacketException.class);
    }

    @Test
    void malformedOkAndErrAreRefused() {
        assertThatThrownBy(() -> OkPacket.decode(Bytes.hex("00fc10"))).isInstanceOf(MalformedPacketException.class);
        assertThatThrownBy(() -> ErrPacket.decode(Bytes.hex("ff48"))).isInstanceOf(MalformedPacketException.class);
        assertThatThrownBy(() -> OkPacket.decode(Bytes.hex("ff0000"))).isInstanceOf(MalformedPacketException.class);
    }

    @Test
    void lengthEncodedIntegers() {
        for (long v : new long[] {0, 250, 251, 65535, 65536, 16_777_215, 16_777_216, Long.MAX_VALUE}) {
            ByteBuf buf = Unpooled.buffer();
            Payloads.writeLenEncInt(buf, v);
            assertThat(buf.readableBytes()).isEqualTo(Payloads.lenEncSize(buf.getByte(0)));
            assertThat(Payloads.readLenEncInt(buf)).isEqualTo(v);
        }
    }

    @Test
    void nativePasswordScrambleProvesKnowledgeOfTheStoredHash() throws Exception {
        // MariaDB stores PASSWORD('secret') = *14E65567ABDB5135D0CFD9A70B3032C179A49EE7 = SHA1(SHA1('secret'))
        byte[] stored = Bytes.hex("14E65567ABDB5135D0CFD9A70B3032C179A49EE7").array();
        byte[] nonce = "abcdefghijklmnopqrst".getBytes(StandardCharsets.US_ASCII);
        byte[] reply = NativePassword.scramble("secret", nonce);
        // what the server does: SHA1(nonce + stored) XOR reply = SHA1(password), whose SHA1 must be the stored hash
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        sha1.update(nonce);
        byte[] mask = sha1.digest(stored);
        byte[] stage1 = new byte[20];
        for (int i = 0; i < 20; i++) {
            stage1[i] = (byte) (mask[i] ^ reply[i]);
        }
        assertThat(sha1.digest(stage1)).isEqualTo(stored);
        assertThat(NativePassword.scramble("", nonce)).isEmpty();
    }

    @Test
    void theProxysOwnOkIsFramedWithTheSequenceIdAsked() {
        ByteBuf ok = OkPacket.framedPlain(UnpooledByteBufAllocator.DEFAULT, 2);
        assertThat(Bytes.hex(ok)).isEqualTo("070000" + "02" + "00000002000000"); // autocommit, no warnings
    }

    @Test
    void framingAListOfPayloadsNumbersFramesOnAcrossLargePayloads() {
        byte[] big = new byte[Packets.MAX_FRAME_PAYLOAD]; // fills a frame exactly: an empty frame follows
        ByteBuf out = PacketFramer.frameAll(UnpooledByteBufAllocator.DEFAULT, 254, List.of(new byte[] {1}, big,
                new byte[] {9}));
        assertThat(out.readableBytes()).isEqualTo(4 + 1 + 4 + big.length + 4 + 4 + 1);
        assertThat(out.getUnsignedByte(3)).isEqualTo((short) 254);
        assertThat(out.getUnsignedByte(5 + 3)).isEqualTo((short) 255);
        int empty = 5 + 4 + big.length;
        assertThat(out.getUnsignedMediumLE(empty)).isZero();
        assertThat(out.getUnsignedByte(empty + 3)).isZero(); // wraps around
        assertThat(out.getUnsignedByte(empty + 4 + 3)).isEqualTo((short) 1);
        assertThat(out.getUnsignedByte(empty + 8)).isEqualTo((short) 9);
        out.release();
    }

    @Test
    void commandPayloadsAndTheQuitFrame() {
        assertThat(new String(Commands.payloadBytes(Commands.COM_QUERY, "SELECT 'é'"), StandardCharsets.UTF_8))
                .isEqualTo("\u0003SELECT 'é'");
        assertThat(Commands.payloadBytes(Commands.COM_PING, null)).containsExactly(Commands.COM_PING);
        assertThat(Commands.isQuitFrame(Unpooled.wrappedBuffer(Bytes.frame(0, new byte[] {Commands.COM_QUIT}))))
                .isTrue();
        assertThat(Commands.isQuitFrame(Unpooled.wrappedBuffer(Bytes.frame(0, new byte[] {Commands.COM_PING}))))
                .isFalse();
        assertThat(Commands.isQuitFrame(Unpooled.wrappedBuffer(Bytes.frame(0, new byte[] {Commands.COM_QUIT, 0}))))
                .isFalse();
    }
}
