package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Protocol::AuthSwitchRequest: the server asks the client to authenticate again with {@code plugin}, answering
 * {@code data} (for mysql_native_password, a 20-byte scramble).
 *
 * @see <a href="https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_auth_switch_request.html">AuthSwitchRequest</a>
 */
public record AuthSwitchRequest(String plugin, byte[] data) {
    /** A switch to mysql_native_password with the scramble of {@code greeting}. */
    public static AuthSwitchRequest nativePassword(HandshakeV10 greeting) {
        return new AuthSwitchRequest(NativePassword.PLUGIN, Arrays.copyOf(greeting.scramble(), 20));
    }

    /** The plugin a switch request names. */
    public static String plugin(ByteBuf payload) {
        return Payloads.readNulString(payload.duplicate().skipBytes(1));
    }

    public void encode(ByteBuf out) {
        out.writeByte(Packets.EOF);
        out.writeBytes(plugin.getBytes(StandardCharsets.US_ASCII)).writeByte(0);
        out.writeBytes(data).writeByte(0);
    }
}
