package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HandshakeResponseTest {
    private static final long CAPS = Capabilities.CLIENT_PROTOCOL_41 | Capabilities.CLIENT_SECURE_CONNECTION
            | Capabilities.CLIENT_PLUGIN_AUTH | Capabilities.CLIENT_CONNECT_WITH_DB | Capabilities.CLIENT_DEPRECATE_EOF
            | Capabilities.MARIADB_CLIENT_PROGRESS | Capabilities.MARIADB_CLIENT_STMT_BULK_OPERATIONS;

    /** A response a MariaDB client sends: user "bob", a 20-byte scramble, database "app", native password. */
    static final String GOLDEN = "08820801" + "00000001" + "21" + "00".repeat(19) + "05000000"
            + "626f6200" + "14" + "0102030405060708090a0b0c0d0e0f1011121314" + "61707000"
            + "6d7973716c5f6e61746976655f70617373776f726400";

    @Test
    void decodesAndEncodesTheSameBytes() {
        HandshakeResponse r = HandshakeResponse.decode(Bytes.hex(GOLDEN));
        assertThat(r.username()).isEqualTo("bob");
        assertThat(r.database()).isEqualTo("app");
        assertThat(r.authPluginName()).isEqualTo("mysql_native_password");
        assertThat(r.authResponse()).hasSize(20);
        assertThat(r.capabilities()).isEqualTo(CAPS);
        ByteBuf out = Unpooled.buffer();
        r.encode(out);
        assertThat(Bytes.hex(out)).isEqualTo(GOLDEN);
    }

    @Test
    void rewritesCapabilitiesInPlaceIncludingMariaDbsExtendedOnes() {
        ByteBuf payload = Bytes.hex(GOLDEN);
        HandshakeResponse.writeCapabilities(payload, CAPS & ~Capabilities.UNSUPPORTED);
        long caps = HandshakeResponse.readCapabilities(payload);
        assertThat(Capabilities.has(caps, Capabilities.MARIADB_CLIENT_PROGRESS)).isFalse();
        assertThat(Capabilities.has(caps, Capabilities.MARIADB_CLIENT_STMT_BULK_OPERATIONS)).isTrue();
        assertThat(HandshakeResponse.decode(payload).username()).isEqualTo("bob");
    }

    @Test
    void recognisesAnSslRequest() {
        ByteBuf request = Unpooled.buffer();
        HandshakeResponse.encodeFixedPart(request, CAPS | Capabilities.CLIENT_SSL, 1 << 24, 33);
        assertThat(request.readableBytes()).isEqualTo(32);
        assertThat(HandshakeResponse.isSslRequest(request)).isTrue();
        assertThat(HandshakeResponse.isSslRequest(Bytes.hex(GOLDEN))).isFalse();
    }

    @Test
    void refusesTruncatedAndPre41Responses() {
        assertThatThrownBy(() -> HandshakeResponse.decode(Bytes.hex(GOLDEN.substring(0, 90))))
                .isInstanceOf(MalformedPacketException.class);
        assertThatThrownBy(() -> HandshakeResponse.decode(Bytes.hex("0000000000000001" + "00".repeat(24))))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("4.1");
        assertThatThrownBy(() -> HandshakeResponse.decode(Bytes.hex("0882")))
                .isInstanceOf(MalformedPacketException.class);
    }
}
