package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HandshakeV10Test {
    /** The greeting of MariaDB 10.11.19 (Debian), captured on the wire, without its 4-byte header. */
    static final String MARIADB_GREETING = "0a352e352e352d31302e31312e31392d4d6172696144422d302b6465623132753100"
            + "160000003c384739295e222900fef72d0200ff81150000000000001d0000004a75333c734e6e5c6564487a00"
            + "6d7973716c5f6e61746976655f70617373776f726400";

    @Test
    void decodesACapturedMariaDbGreeting() {
        HandshakeV10 h = HandshakeV10.decode(Bytes.hex(MARIADB_GREETING));
        assertThat(h.serverVersion()).isEqualTo("5.5.5-10.11.19-MariaDB-0+deb12u1");
        assertThat(h.connectionId()).isEqualTo(0x16);
        assertThat(h.authPluginName()).isEqualTo("mysql_native_password");
        assertThat(h.scramble()).hasSize(20);
        assertThat(h.isMariaDb()).isTrue();
        assertThat(Capabilities.has(h.capabilities(), Capabilities.CLIENT_PROTOCOL_41)).isTrue();
        assertThat(Capabilities.has(h.capabilities(), Capabilities.MARIADB_CLIENT_STMT_BULK_OPERATIONS)).isTrue();
        assertThat(h.capabilities() >>> 32).isEqualTo(0x1D);
    }

    @Test
    void encodesTheSameBytes() {
        HandshakeV10 h = HandshakeV10.decode(Bytes.hex(MARIADB_GREETING));
        ByteBuf out = Unpooled.buffer();
        h.encode(out);
        assertThat(Bytes.hex(out)).isEqualTo(MARIADB_GREETING);
    }

    @Test
    void maskingCapabilitiesChangesOnlyTheFlagBytes() {
        HandshakeV10 h = HandshakeV10.decode(Bytes.hex(MARIADB_GREETING));
        ByteBuf out = Unpooled.buffer();
        h.withCapabilities(h.capabilities() & ~Capabilities.UNSUPPORTED).encode(out);
        HandshakeV10 masked = HandshakeV10.decode(out);
        assertThat(Capabilities.has(masked.capabilities(), Capabilities.CLIENT_COMPRESS)).isFalse();
        assertThat(Capabilities.has(masked.capabilities(), Capabilities.MARIADB_CLIENT_PROGRESS)).isFalse();
        assertThat(Capabilities.has(masked.capabilities(), Capabilities.CLIENT_PROTOCOL_41)).isTrue();
        assertThat(masked.scramble()).isEqualTo(h.scramble());
        assertThat(masked.serverVersion()).isEqualTo(h.serverVersion());
    }

    @Test
    void rejectsOtherProtocolVersionsAndTruncation() {
        assertThatThrownBy(() -> HandshakeV10.decode(Bytes.hex("09352e3000")))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("version 9");
        String truncated = MARIADB_GREETING.substring(0, 80);
        assertThatThrownBy(() -> HandshakeV10.decode(Bytes.hex(truncated)))
                .isInstanceOf(MalformedPacketException.class);
        assertThatThrownBy(() -> HandshakeV10.decode(Bytes.hex("0a41424344")))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("NUL");
    }
}
