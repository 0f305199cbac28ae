package io.mysqlproxy.fuzz;

import io.mysqlproxy.protocol.ConversationTracker;
import io.mysqlproxy.protocol.ErrPacket;
import io.mysqlproxy.protocol.FrameScanner;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.HandshakeV10;
import io.mysqlproxy.protocol.MalformedPacketException;
import io.mysqlproxy.protocol.OkPacket;
import io.mysqlproxy.protocol.Packet;
import io.mysqlproxy.protocol.PacketAssembler;
import io.mysqlproxy.sql.SqlTokenizer;
import io.mysqlproxy.sql.StatementDigest;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded random input for every decoder that reads bytes or text from a peer: only MalformedPacketException may
 * come out (a decoder that throws anything else would take a session down the wrong way). Jazzer's JUnit engine is
 * not available from the repositories here, so a seeded generator mutates valid packets; each seed is printed on
 * failure to reproduce it (FUZZ_SEED). FUZZ_SECONDS (default 2 per decoder) makes the run longer.
 */
class DecoderFuzzTest {
    static final long SECONDS = Long.getLong("fuzz.seconds", Long.parseLong(System.getenv().getOrDefault("FUZZ_SECONDS", "2")));

    /** Valid packets to mutate: a greeting, a login, an OK, an ERR, a column count, a row. */
    static final byte[][] SEEDS = {
            hex("0a352e352e352d31302e31312e31392d4d617269614442000f0000002a3e6d5c3e4c3f5b00fef72d020000ffa015000000000000"
                    + "1d00000040343d2f6c6b5e3d7a7b7c00006d7973716c5f6e61746976655f70617373776f726400"),
            hex("8da20a0000000001210000000000000000000000000000000000000000000000726f6f7400146a6b6c6d6e6f7071727374"
                    + "75767778797a7b7c7d6d7973716c5f6e61746976655f70617373776f726400"),
            hex("000000020000000000"),
            hex("ff4804234859303030556e6b6e6f776e"),
            hex("01"),
            hex("0131"),
    };

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    static byte[] mutate(Random r, byte[] seed) {
        byte[] b = Arrays.copyOf(seed, switch (r.nextInt(4)) {
            case 0 -> r.nextInt(seed.length + 1); // truncated
            case 1 -> seed.length + r.nextInt(64); // extended with zeros
            default -> seed.length;
        });
        int flips = 1 + r.nextInt(6);
        for (int i = 0; i < flips && b.length > 0; i++) {
            b[r.nextInt(b.length)] = (byte) (r.nextInt(8) == 0 ? 0xFF : r.nextInt(256));
        }
        if (r.nextInt(10) == 0) {
            r.nextBytes(b); // pure noise
        }
        return b;
    }

    /** Runs {@code decoder} on mutated packets for the fuzz time; anything but MalformedPacketException fails. */
    /** CI runs a fixed seed, so that its result does not depend on luck; bench/fuzz.sh draws a new one each run. */
    static long seed() {
        return Long.parseLong(System.getenv().getOrDefault("FUZZ_SEED", "20261130"));
    }

    static long fuzz(String name, Consumer<byte[]> decoder) {
        long seed = seed() + name.hashCode();
        Random r = new Random(seed);
        long end = System.nanoTime() + SECONDS * 1_000_000_000L;
        long runs = 0;
        while (System.nanoTime() < end) {
            byte[] input = mutate(r, SEEDS[r.nextInt(SEEDS.length)]);
            try {
                decoder.accept(input);
            } catch (MalformedPacketException expected) {
                // the one way a decoder may refuse input
            } catch (RuntimeException | Error e) {
                throw new AssertionError(name + " (seed " + seed + ", run " + runs + ") threw on "
                        + HexFormat.of().formatHex(input), e);
            }
            runs++;
        }
        System.out.printf("fuzz %s: %d inputs in %d s%n", name, runs, SECONDS);
        return runs;
    }

    @Test
    void handshakeDecoders() {
        assertThat(fuzz("HandshakeV10", b -> HandshakeV10.decode(Unpooled.wrappedBuffer(b)))).isPositive();
        assertThat(fuzz("HandshakeResponse", b -> HandshakeResponse.decode(Unpooled.wrappedBuffer(b)))).isPositive();
        assertThat(fuzz("OK and ERR", b -> {
            OkPacket.decode(Unpooled.wrappedBuffer(b));
            ErrPacket.decode(Unpooled.wrappedBuffer(b));
        })).isPositive();
    }

    @Test
    void framingAndTheResponseTrackerOnRandomStreams() {
        assertThat(fuzz("stream", b -> {
            ConversationTracker tracker = new ConversationTracker();
            FrameScanner client = new FrameScanner(tracker::onClientFrame);
            FrameScanner server = new FrameScanner(tracker::onServerFrame);
            client.scan(Unpooled.wrappedBuffer(new byte[] {1, 0, 0, 0, 3})); // a COM_QUERY is pending
            int at = 0;
            Random split = new Random(b.length);
            while (at < b.length) {
                int n = 1 + split.nextInt(b.length - at);
                server.scan(Unpooled.wrappedBuffer(b, at, n)); // arbitrary chunk borders
                at += n;
            }
            PacketAssembler assembler = new PacketAssembler(UnpooledByteBufAllocator.DEFAULT, 1 << 16);
            assembler.add(Unpooled.wrappedBuffer(b));
            Packet p;
            while ((p = assembler.next()) != null) {
                p.payload().release();
            }
            assembler.release();
        })).isPositive();
    }

    @Test
    void sqlTextFromClients() {
        assertThat(fuzz("tokenizer and digest", b -> {
            String sql = new String(b, StandardCharsets.ISO_8859_1);
            SqlTokenizer.tokenize(sql);
            StatementDigest.of(sql);
        })).isPositive();
    }
}
