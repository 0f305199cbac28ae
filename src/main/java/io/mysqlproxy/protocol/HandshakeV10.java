package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;

import java.util.Arrays;

/**
 * The server's greeting, Protocol::HandshakeV10. {@code capabilities} holds the standard flags in its low 32 bits
 * and MariaDB's extended capabilities in bits 32 to 63.
 *
 * @see <a href="https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_handshake_v10.html">HandshakeV10</a>
 */
public record HandshakeV10(String serverVersion, long connectionId, byte[] authPluginData, long capabilities,
                           int charset, int statusFlags, int authPluginDataLength, String authPluginName) {
    public static final int PROTOCOL_VERSION = 10;
    private static final int PART1_LENGTH = 8;

    public static HandshakeV10 decode(ByteBuf payload) {
        try {
            int version = payload.readUnsignedByte();
            if (version != PROTOCOL_VERSION) {
                throw new MalformedPacketException("handshake protocol version " + version + ", expected 10");
            }
            // every connection to a server says the same: one copy for all of them (thousands are kept at once)
            String serverVersion = Payloads.readNulString(payload).intern();
            long connectionId = payload.readUnsignedIntLE();
            byte[] part1 = Payloads.readFixed(payload, PART1_LENGTH);
            payload.skipBytes(1);
            long caps = payload.readUnsignedShortLE();
            if (!payload.isReadable()) {
                return new HandshakeV10(serverVersion, connectionId, part1, caps, 0, 0, 0, null);
            }
            int charset = payload.readUnsignedByte();
            int status = payload.readUnsignedShortLE();
            caps |= (long) payload.readUnsignedShortLE() << 16;
            int authDataLength = payload.readUnsignedByte();
            payload.skipBytes(6);
            long extended = payload.readUnsignedIntLE();
            if (!Capabilities.has(caps, Capabilities.CLIENT_MYSQL)) {
                caps |= extended << 32;
            }
            byte[] data = part1;
            if (Capabilities.has(caps, Capabilities.CLIENT_SECURE_CONNECTION)) {
                int part2Length = Math.max(13, authDataLength - PART1_LENGTH);
                byte[] part2 = Payloads.readFixed(payload, Math.min(part2Length, payload.readableBytes()));
                data = Arrays.copyOf(part1, PART1_LENGTH + part2.length);
                System.arraycopy(part2, 0, data, PART1_LENGTH, part2.length);
            }
            String plugin = Capabilities.has(caps, Capabilities.CLIENT_PLUGIN_AUTH)
                    ? Payloads.readNulOrEofString(payload).intern() : null;
            return new HandshakeV10(serverVersion, connectionId, data, caps, charset, status, authDataLength, plugin);
        } catch (IndexOutOfBoundsException e) {
            throw new MalformedPacketException("truncated handshake", e);
        }
    }

    public void encode(ByteBuf out) {
        out.writeByte(PROTOCOL_VERSION);
        Payloads.writeNulString(out, serverVersion);
        out.writeIntLE((int) connectionId);
        out.writeBytes(authPluginData, 0, PART1_LENGTH);
        out.writeByte(0);
        out.writeShortLE((int) capabilities);
        out.writeByte(charset);
        out.writeShortLE(statusFlags);
        out.writeShortLE((int) (capabilities >>> 16));
        out.writeByte(authPluginDataLength);
        out.writeZero(6);
        out.writeIntLE(Capabilities.has(capabilities, Capabilities.CLIENT_MYSQL) ? 0 : (int) (capabilities >>> 32));
        if (Capabilities.has(capabilities, Capabilities.CLIENT_SECURE_CONNECTION)) {
            out.writeBytes(authPluginData, PART1_LENGTH, authPluginData.length - PART1_LENGTH);
        }
        if (authPluginName != null) {
            Payloads.writeNulString(out, authPluginName);
        }
    }

    /** The 20-byte scramble (nonce) the client signs, without the trailing NUL the server sends. */
    public byte[] scramble() {
        int n = authPluginData.length;
        if (n > 0 && authPluginData[n - 1] == 0) {
            n--;
        }
        return Arrays.copyOf(authPluginData, n);
    }

    public HandshakeV10 withCapabilities(long newCapabilities) {
        return new HandshakeV10(serverVersion, connectionId, authPluginData, newCapabilities, charset, statusFlags,
                authPluginDataLength, authPluginName);
    }

    public HandshakeV10 withConnectionId(long id) {
        return new HandshakeV10(serverVersion, id, authPluginData, capabilities, charset, statusFlags,
                authPluginDataLength, authPluginName);
    }

    public boolean isMariaDb() {
        return serverVersion.contains("MariaDB") || !Capabilities.has(capabilities, Capabilities.CLIENT_MYSQL);
    }

    @Override
    public String toString() {
        return "HandshakeV10[" + serverVersion + ", id " + connectionId + ", caps 0x" + Long.toHexString(capabilities)
                + ", plugin " + authPluginName + "]";
    }
}
