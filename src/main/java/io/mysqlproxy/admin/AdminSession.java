package io.mysqlproxy.admin;

import io.mysqlproxy.config.AdminConfig;
import io.mysqlproxy.core.ErrorPackets;
import io.mysqlproxy.protocol.AuthSwitchRequest;
import io.mysqlproxy.protocol.Capabilities;
import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.HandshakeV10;
import io.mysqlproxy.protocol.MalformedPacketException;
import io.mysqlproxy.protocol.NativePassword;
import io.mysqlproxy.protocol.OkPacket;
import io.mysqlproxy.protocol.Packet;
import io.mysqlproxy.protocol.PacketAssembler;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.protocol.ServerStatus;
import io.mysqlproxy.scripting.ConnectionInfo;
import io.mysqlproxy.scripting.HookOutcome;
import io.mysqlproxy.scripting.ScriptSession;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.jboss.logging.Logger;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

/**
 * One connection to the admin interface: the proxy plays the server. It greets with its own scramble, checks the
 * client's mysql_native_password answer against the configured password (switching a client that starts with
 * another plugin over to it), then hands each COM_QUERY to the admin script's {@code read_query}, one command at
 * a time.
 */
final class AdminSession extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = Logger.getLogger(AdminSession.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_PACKET = 1 << 20;
    static final String SERVER_VERSION = "5.7.99-mysqlproxy-admin";
    private static final long CAPABILITIES = Capabilities.CLIENT_MYSQL | Capabilities.CLIENT_FOUND_ROWS
            | Capabilities.CLIENT_LONG_FLAG | Capabilities.CLIENT_CONNECT_WITH_DB | Capabilities.CLIENT_PROTOCOL_41
            | Capabilities.CLIENT_TRANSACTIONS | Capabilities.CLIENT_SECURE_CONNECTION
            | Capabilities.CLIENT_MULTI_RESULTS | Capabilities.CLIENT_PLUGIN_AUTH
            | Capabilities.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | Capabilities.CLIENT_CONNECT_ATTRS
            | Capabilities.CLIENT_DEPRECATE_EOF;

    private enum Phase { GREETED, SWITCHED, COMMANDS, BUSY, CLOSED }

    private final AdminServer server;
    private final AdminConfig config;
    private final long id;
    private final byte[] scramble = scramble();
    private PacketAssembler packets;
    private Channel channel;
    private Phase phase = Phase.GREETED;
    private HandshakeResponse login;
    private long capabilities;
    private ScriptSession script;

    AdminSession(AdminServer server, AdminConfig config, long id) {
        this.server = server;
        this.config = config;
        this.id = id;
    }

    private static byte[] scramble() {
        byte[] s = new byte[20];
        for (int i = 0; i < s.length; i++) {
            s[i] = (byte) (1 + RANDOM.nextInt(126)); // printable-range bytes, never NUL: the greeting NUL-ends them
        }
        return s;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        packets = new PacketAssembler(ctx.alloc(), MAX_PACKET);
        long blocked = server.throttle().blockedFor(clientHost());
        if (blocked > 0) {
            LOG.warnf("admin: refused %s: too many failed logins", channel.remoteAddress());
            fail(0, ErrorCodes.HOST_BLOCKED, ErrorCodes.STATE_GENERAL, "Host '" + clientHost().getHostAddress()
                    + "' is blocked because of too many failed admin logins; try again in "
                    + Math.max(1, blocked / 1000) + " s");
            return;
        }
        byte[] data = Arrays.copyOf(scramble, 21);
        HandshakeV10 greeting = new HandshakeV10(SERVER_VERSION, id, data, CAPABILITIES, 33,
                ServerStatus.AUTOCOMMIT, 21, NativePassword.PLUGIN);
        ByteBuf payload = ctx.alloc().buffer(128);
        greeting.encode(payload);
        channel.writeAndFlush(PacketFramer.frame(ctx.alloc(), 0, payload));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (phase == Phase.CLOSED) {
            ((ByteBuf) msg).release();
            return;
        }
        packets.add((ByteBuf) msg);
        processPending();
    }

    private void processPending() {
        try {
            Packet p;
            while (phase != Phase.BUSY && phase != Phase.CLOSED && (p = packets.next()) != null) {
                try {
                    handle(p);
                } finally {
                    p.payload().release();
                }
            }
        } catch (MalformedPacketException | IndexOutOfBoundsException e) {
            LOG.infof("admin: bad packet from %s: %s", channel.remoteAddress(), e.getMessage());
            fail(0, ErrorCodes.BAD_HANDSHAKE, ErrorCodes.STATE_CONNECTION_FAILURE, "Bad packet: " + e.getMessage());
        }
    }

    private void handle(Packet p) {
        switch (phase) {
            case GREETED -> loginArrived(p);
            case SWITCHED -> checkPassword(p.seq(), ByteBufUtil.getBytes(p.payload()));
            case COMMANDS -> command(p);
            default -> {
            }
        }
    }

    private void loginArrived(Packet p) {
        if (HandshakeResponse.isSslRequest(p.payload())) {
            fail(p.seq() + 1, ErrorCodes.BAD_HANDSHAKE, ErrorCodes.STATE_CONNECTION_FAILURE,
                    "The admin interface does not offer TLS: keep it on a loopback or private address");
            return;
        }
        login = HandshakeResponse.decode(p.payload());
        capabilities = login.capabilities() & CAPABILITIES;
        String plugin = login.authPluginName();
        if (plugin == null || plugin.isEmpty() || plugin.equals(NativePassword.PLUGIN)) {
            checkPassword(p.seq(), login.authResponse());
            return;
        }
        phase = Phase.SWITCHED; // the client started with another plugin: ask for mysql_native_password
        ByteBuf payload = channel.alloc().buffer(64);
        new AuthSwitchRequest(NativePassword.PLUGIN, scramble).encode(payload);
        channel.writeAndFlush(PacketFramer.frame(channel.alloc(), p.seq() + 1, payload));
    }

    private void checkPassword(int seq, byte[] response) {
        String password = config.password();
        boolean ok = login.username().equals(config.username()) && !password.isEmpty()
                && NativePassword.check(scramble, response,
                NativePassword.hash(NativePassword.hash(password.getBytes(StandardCharsets.UTF_8))));
        server.metrics().adminLogin(ok);
        if (!ok) {
            server.throttle().failed(clientHost());
            LOG.warnf("admin: access denied for '%s' from %s%s", login.username(), channel.remoteAddress(),
                    password.isEmpty() ? " (no --admin-password is set)" : "");
            fail(seq + 1, ErrorCodes.ACCESS_DENIED, ErrorCodes.STATE_ACCESS_DENIED, "Access denied for user '"
                    + login.username() + "'@'" + clientHost().getHostAddress() + "' (using password: "
                    + (response.length > 0 ? "YES" : "NO") + ")"
                    + (password.isEmpty() ? "; the admin interface has no password: set --admin-password" : ""));
            return;
        }
        server.throttle().succeeded(clientHost());
        LOG.debugf("admin: %s logged in from %s", login.username(), channel.remoteAddress());
        script = server.scripts().attach(channel.eventLoop());
        phase = Phase.COMMANDS;
        writeOk(seq + 1);
    }

    private void command(Packet p) {
        ByteBuf payload = p.payload();
        if (!payload.isReadable()) {
            fail(1, ErrorCodes.UNKNOWN_COMMAND, "08S01", "Empty command");
            return;
        }
        int command = payload.getUnsignedByte(payload.readerIndex());
        switch (command) {
            case Commands.COM_QUIT -> close();
            case Commands.COM_PING, Commands.COM_INIT_DB, Commands.COM_RESET_CONNECTION, Commands.COM_SET_OPTION ->
                    writeOk(1);
            case Commands.COM_QUERY -> query(ByteBufUtil.getBytes(payload));
            default -> writeError(ErrorCodes.UNKNOWN_COMMAND, "08S01", "The admin interface does not support "
                    + Commands.name(command));
        }
    }

    private void query(byte[] packet) {
        phase = Phase.BUSY;
        channel.config().setAutoRead(false);
        script.readQuery(info(), packet).whenComplete((outcome, failure) -> channel.eventLoop().execute(() -> {
            if (phase == Phase.CLOSED) {
                return;
            }
            phase = Phase.COMMANDS;
            channel.config().setAutoRead(true);
            answer(outcome, failure, packet);
            processPending(); // packets that arrived meanwhile
        }));
    }

    private void answer(HookOutcome outcome, Throwable failure, byte[] packet) {
        if (failure != null) {
            writeError(ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_PROXY, "admin script failed: " + failure.getMessage());
        } else if (outcome.error() != null) {
            writeError(ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_PROXY, outcome.error());
        } else if (outcome.action() == HookOutcome.SEND_RESULT) {
            int seq = 1;
            for (byte[] response : outcome.response()) {
                channel.write(PacketFramer.frame(channel.alloc(), seq++, channel.alloc().buffer(response.length)
                        .writeBytes(response)));
            }
            channel.flush();
        } else {
            String sql = new String(packet, 1, packet.length - 1, StandardCharsets.UTF_8);
            writeError(ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_PROXY,
                    "the admin script has no answer to: " + (sql.length() > 200 ? sql.substring(0, 200) : sql));
        }
        if (outcome != null && outcome.close()) {
            channel.close();
        }
    }

    private ConnectionInfo info() {
        return new ConnectionInfo(id, (InetSocketAddress) channel.remoteAddress(),
                (InetSocketAddress) channel.localAddress(), null, null, login.username(), login.database(),
                NativePassword.PLUGIN, null, id, SERVER_VERSION, scramble, 0, 0, capabilities,
                ServerStatus.AUTOCOMMIT, List.of(), ConnectionInfo.NOT_MULTIPLEXED);
    }

    private void writeOk(int seq) {
        channel.writeAndFlush(OkPacket.framedPlain(channel.alloc(), seq));
    }

    private void writeError(int code, String sqlState, String message) {
        channel.writeAndFlush(ErrorPackets.encode(channel.alloc(), 1, code, sqlState, message));
    }

    private void fail(int seq, int code, String sqlState, String message) {
        phase = Phase.CLOSED;
        channel.writeAndFlush(ErrorPackets.encode(channel.alloc(), seq, code, sqlState, message))
                .addListener(ChannelFutureListener.CLOSE);
    }

    void close() {
        phase = Phase.CLOSED;
        if (channel != null) {
            channel.close();
        }
    }

    private InetAddress clientHost() {
        return ((InetSocketAddress) channel.remoteAddress()).getAddress();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        phase = Phase.CLOSED;
        if (packets != null) {
            packets.release();
        }
        server.remove(this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debugf("admin: %s: %s", ctx.channel().remoteAddress(), cause.getMessage());
        ctx.close();
    }
}
