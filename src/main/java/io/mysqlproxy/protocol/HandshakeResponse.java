package io.mysqlproxy.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The client's answer to the greeting, Protocol::HandshakeResponse41, or its first 32 bytes alone when the client
 * asks for TLS first (Protocol::SSLRequest). The proxy relays the original bytes and only rewrites the capability
 * flags in place, so this class decodes what the proxy must know and encodes what the proxy itself sends.
 *
 * @see <a href="https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_handshake_response.html">HandshakeResponse41</a>
 */
public record HandshakeResponse(long capabilities, int maxPacketSize, int charset, String username,
                                byte[] authResponse, String database, String authPluginName) {
    /** Length of an SSLRequest payload, which is also the fixed prefix of every HandshakeResponse41. */
    public static final int FIXED_LENGTH = 32;
    private static final int EXTENDED_CAPS_OFFSET = 28;

    public static boolean isSslRequest(ByteBuf payload) {
        return payload.readableBytes() == FIXED_LENGTH
                && Capabilities.has(payload.getUnsignedIntLE(payload.readerIndex()), Capabilities.CLIENT_SSL);
    }

    /** Capabilities of a HandshakeResponse41 or SSLRequest payload, MariaDB's extended ones in the high bits. */
    public static long readCapabilities(ByteBuf payload) {
        if (payload.readableBytes() < FIXED_LENGTH) {
            throw new MalformedPacketException("handshake response of " + payload.readableBytes() + " bytes");
        }
        int base = payload.readerIndex();
        long caps = payload.getUnsignedIntLE(base);
        if (!Capabilities.has(caps, Capabilities.CLIENT_MYSQL)) {
            caps |= payload.getUnsignedIntLE(base + EXTENDED_CAPS_OFFSET) << 32;
        }
        return caps;
    }

    /** Replaces the capability flags of a HandshakeResponse41 or SSLRequest payload in place. */
    public static void writeCapabilities(ByteBuf payload, long caps) {
        int base = payload.readerIndex();
        payload.setIntLE(base, (int) caps);
        if (!Capabilities.has(caps, Capabilities.CLIENT_MYSQL)) {
            payload.setIntLE(base + EXTENDED_CAPS_OFFSET, (int) (caps >>> 32));
        }
    }

    public static HandshakeResponse decode(ByteBuf payload) {
        try {
            long caps = readCapabilities(payload);
            if (!Capabilities.has(caps, Capabilities.CLIENT_PROTOCOL_41)) {
                throw new MalformedPacketException("client does not speak protocol 4.1");
            }
            payload.skipBytes(4);
            int maxPacket = payload.readIntLE();
            int charset = payload.readUnsignedByte();
            payload.skipBytes(23);
            // a session keeps its login: one copy of a user, database and plugin name for all sessions
            String user = Payloads.readNulString(payload).intern();
            byte[] auth;
            if (Capabilities.has(caps, Capabilities.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)) {
                auth = Payloads.readLenEncBytes(payload);
            } else if (Capabilities.has(caps, Capabilities.CLIENT_SECURE_CONNECTION)) {
                auth = Payloads.readFixed(payload, payload.readUnsignedByte());
            } else {
                auth = Payloads.readNulBytes(payload);
            }
            String db = null;
            if (Capabilities.has(caps, Capabilities.CLIENT_CONNECT_WITH_DB) && payload.isReadable()) {
                db = Payloads.readNulOrEofString(payload).intern();
            }
            String plugin = null;
            if (Capabilities.has(caps, Capabilities.CLIENT_PLUGIN_AUTH) && payload.isReadable()) {
                plugin = Payloads.readNulOrEofString(payload).intern();
            }
            return new HandshakeResponse(caps, maxPacket, charset, user, auth, db, plugin);
        } catch (IndexOutOfBoundsException e) {
            throw new MalformedPacketException("truncated handshake response", e);
        }
    }

    public void encode(ByteBuf out) {
        encodeFixedPart(out, capabilities, maxPacketSize, charset);
        Payloads.writeNulString(out, username);
        if (Capabilities.has(capabilities, Capabilities.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)) {
            Payloads.writeLenEncBytes(out, authResponse);
        } else {
            out.writeByte(authResponse.length).writeBytes(authResponse);
        }
        if (Capabilities.has(capabilities, Capabilities.CLIENT_CONNECT_WITH_DB)) {
            Payloads.writeNulString(out, database == null ? "" : database);
        }
        if (Capabilities.has(capabilities, Capabilities.CLIENT_PLUGIN_AUTH)) {
            Payloads.writeNulString(out, authPluginName == null ? "" : authPluginName);
        }
    }

    /**
     * This login as COM_CHANGE_USER on a connection that negotiated {@code negotiated}: the server checks it as a
     * login, against the connection's scramble, and resets the session. Connection attributes are sent empty.
     */
    public void encodeChangeUser(ByteBuf out, long negotiated) {
        out.writeByte(Commands.COM_CHANGE_USER);
        Payloads.writeNulString(out, username);
        out.writeByte(authResponse.length).writeBytes(authResponse);
        Payloads.writeNulString(out, database == null ? "" : database);
        out.writeShortLE(charset);
        if (Capabilities.has(negotiated, Capabilities.CLIENT_PLUGIN_AUTH)) {
            Payloads.writeNulString(out, authPluginName == null || authPluginName.isEmpty()
                    ? NativePassword.PLUGIN : authPluginName);
        }
        if (Capabilities.has(negotiated, Capabilities.CLIENT_CONNECT_ATTRS)) {
            out.writeByte(0);
        }
    }

    /** Writes the 32-byte prefix, which on its own is an SSLRequest. */
    public static void encodeFixedPart(ByteBuf out, long caps, int maxPacketSize, int charset) {
        out.writeIntLE((int) caps);
        out.writeIntLE(maxPacketSize);
        out.writeByte(charset);
        out.writeZero(19);
        out.writeIntLE(Capabilities.has(caps, Capabilities.CLIENT_MYSQL) ? 0 : (int) (caps >>> 32));
    }
}
