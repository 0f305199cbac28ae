package io.mysqlproxy.testing;

import io.mysqlproxy.protocol.Capabilities;
import io.mysqlproxy.protocol.ErrPacket;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.HandshakeV10;
import io.mysqlproxy.protocol.NativePassword;
import io.mysqlproxy.protocol.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A minimal blocking MySQL client speaking raw packets, for what drivers cannot be made to send: rare commands,
 * pipelined commands, malformed and truncated packets.
 */
public final class RawClient implements AutoCloseable {
    public static final long DEFAULT_CAPS = Capabilities.CLIENT_LONG_PASSWORD_FLAG | Capabilities.CLIENT_PROTOCOL_41
            | Capabilities.CLIENT_SECURE_CONNECTION | Capabilities.CLIENT_PLUGIN_AUTH | Capabilities.CLIENT_TRANSACTIONS
            | Capabilities.CLIENT_MULTI_STATEMENTS | Capabilities.CLIENT_MULTI_RESULTS
            | Capabilities.CLIENT_CONNECT_WITH_DB;

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private HandshakeV10 greeting;

    public RawClient(int port) {
        try {
            socket = new Socket();
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(10_000);
            in = new DataInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Connects and logs in with mysql_native_password; fails unless the server says OK. */
    public static RawClient login(int port, String user, String password, long caps) {
        RawClient c = new RawClient(port);
        c.readGreeting();
        c.sendLogin(user, password, caps, 1);
        byte[] result = c.readPacket();
        if ((result[0] & 0xFF) != Packets.OK) {
            throw new IllegalStateException("login failed: " + describe(result));
        }
        return c;
    }

    /**
     * Logs in as root (no password) with the capabilities another client negotiated, so that this connection's
     * command phase matches that client's and the two can be piped together.
     */
    public static RawClient loginRelay(int port, long clientCaps, String database) {
        RawClient c = new RawClient(port);
        c.readGreeting();
        long caps = clientCaps & ~Capabilities.CLIENT_SSL & ~Capabilities.CLIENT_CONNECT_ATTRS
                & (c.greeting.capabilities() | Capabilities.CLIENT_LONG_PASSWORD_FLAG);
        if (database != null && !database.isEmpty()) {
            caps |= Capabilities.CLIENT_CONNECT_WITH_DB;
        }
        ByteBuf buf = Unpooled.buffer();
        new HandshakeResponse(caps, 1 << 24, 33, "root", new byte[0], database, NativePassword.PLUGIN).encode(buf);
        byte[] payload = new byte[buf.readableBytes()];
        buf.readBytes(payload);
        c.writePacket(1, payload);
        byte[] result = c.readPacket();
        if ((result[0] & 0xFF) != Packets.OK) {
            throw new IllegalStateException("relay login failed: " + describe(result));
        }
        return c;
    }

    /**
     * Relays between this connection and another peer's streams until one side closes: server bytes as they are,
     * client packets one by one through {@code rewrite}.
     */
    public void pipe(InputStream peerIn, OutputStream peerOut, UnaryOperator<byte[]> rewrite) {
        Thread up = new Thread(() -> copyPackets(new DataInputStream(peerIn), rewrite), "pipe-up");
        up.setDaemon(true);
        up.start();
        copy(in, peerOut);
        close();
    }

    private void copyPackets(DataInputStream from, UnaryOperator<byte[]> rewrite) {
        try {
            int[] seq = new int[1];
            while (true) {
                byte[] payload = readFrame(from, seq);
                writePacket(seq[0], rewrite.apply(payload));
            }
        } catch (IOException | UncheckedIOException e) {
            close(); // one side closed
        }
    }

    private static void copy(InputStream from, OutputStream to) {
        byte[] buf = new byte[65536];
        try {
            int n;
            while ((n = from.read(buf)) > 0) {
                to.write(buf, 0, n);
                to.flush();
            }
        } catch (IOException e) {
            // one side closed
        }
    }

    public HandshakeV10 readGreeting() {
        byte[] p = readPacket();
        greeting = HandshakeV10.decode(Unpooled.wrappedBuffer(p));
        return greeting;
    }

    public void sendLogin(String user, String password, long caps, int seq) {
        ByteBuf buf = Unpooled.buffer();
        new HandshakeResponse(caps, 1 << 24, 33, user, NativePassword.scramble(password, greeting.scramble()),
                "", NativePassword.PLUGIN).encode(buf);
        byte[] payload = new byte[buf.readableBytes()];
        buf.readBytes(payload);
        writePacket(seq, payload);
    }

    public void command(int command, String argument) {
        byte[] arg = argument.getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[arg.length + 1];
        payload[0] = (byte) command;
        System.arraycopy(arg, 0, payload, 1, arg.length);
        writePacket(0, payload);
    }

    public void command(int command, byte[] argument) {
        byte[] payload = new byte[argument.length + 1];
        payload[0] = (byte) command;
        System.arraycopy(argument, 0, payload, 1, argument.length);
        writePacket(0, payload);
    }

    public void writePacket(int seq, byte[] payload) {
        writeRaw(frame(seq, payload));
    }

    /** A one-frame packet: three bytes of length, the sequence id, the payload. */
    public static byte[] frame(int seq, byte[] payload) {
        byte[] frame = new byte[payload.length + 4];
        frame[0] = (byte) payload.length;
        frame[1] = (byte) (payload.length >> 8);
        frame[2] = (byte) (payload.length >> 16);
        frame[3] = (byte) seq;
        System.arraycopy(payload, 0, frame, 4, payload.length);
        return frame;
    }

    /** Reads one frame; returns its payload, and its sequence id in {@code seq[0]}. */
    static byte[] readFrame(DataInputStream from, int[] seq) throws IOException {
        int length = from.readUnsignedByte() | from.readUnsignedByte() << 8 | from.readUnsignedByte() << 16;
        seq[0] = from.readUnsignedByte();
        byte[] payload = new byte[length];
        from.readFully(payload);
        return payload;
    }

    public void writeRaw(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sequence id of the last packet read. */
    private int lastSeq;

    public int lastSeq() {
        return lastSeq;
    }

    public byte[] readPacket() {
        try {
            int[] seq = new int[1];
            byte[] payload = readFrame(in, seq);
            lastSeq = seq[0];
            return payload;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads packets until the end of one text result set or an OK/ERR; returns them all. */
    public List<byte[]> readResult() {
        List<byte[]> packets = new ArrayList<>();
        byte[] first = readPacket();
        packets.add(first);
        int h = first[0] & 0xFF;
        if (h == Packets.OK || h == Packets.ERR) {
            return packets;
        }
        int eofs = 0;
        while (eofs < 2) {
            byte[] p = readPacket();
            packets.add(p);
            if ((p[0] & 0xFF) == Packets.ERR) {
                return packets;
            }
            if ((p[0] & 0xFF) == Packets.EOF && p.length < 9) {
                eofs++;
            }
        }
        return packets;
    }

    /** True when the peer closed the connection (reads EOF) within the socket timeout. */
    public boolean closedByPeer() {
        try {
            InputStream s = socket.getInputStream();
            while (true) {
                if (s.read() < 0) {
                    return true;
                }
            }
        } catch (EOFException e) {
            return true;
        } catch (IOException e) {
            return e.getMessage() != null && e.getMessage().contains("reset");
        }
    }

    public void setTimeout(int millis) {
        try {
            socket.setSoTimeout(millis);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String describe(byte[] packet) {
        if (packet.length > 0 && (packet[0] & 0xFF) == Packets.ERR) {
            return ErrPacket.decode(Unpooled.wrappedBuffer(packet)).toString();
        }
        return String.format("packet 0x%02x of %d bytes", packet.length == 0 ? 0 : packet[0] & 0xFF, packet.length);
    }

    public static ErrPacket error(byte[] packet) {
        return ErrPacket.decode(Unpooled.wrappedBuffer(packet));
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
