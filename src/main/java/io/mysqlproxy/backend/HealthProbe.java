package io.mysqlproxy.backend;

import io.mysqlproxy.config.HealthCheck;
import io.mysqlproxy.protocol.Capabilities;
import io.mysqlproxy.protocol.ColumnDefinition;
import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.ErrPacket;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.HandshakeV10;
import io.mysqlproxy.protocol.NativePassword;
import io.mysqlproxy.protocol.Packet;
import io.mysqlproxy.protocol.PacketAssembler;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.protocol.Payloads;
import io.mysqlproxy.protocol.TextRow;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * One health check of one backend, as a handler on a fresh connection: read the greeting; when credentials are
 * configured, log in with mysql_native_password and run the check query; for a backend whose role is read from its
 * server, read {@code @@global.read_only}; for a backend that may be a replica, read its replication lag
 * ({@code SHOW SLAVE STATUS}; the user needs the REPLICATION CLIENT / SLAVE MONITOR privilege).
 * Completes with null on success or with the reason of the failure.
 */
final class HealthProbe extends ChannelInboundHandlerAdapter {
    private static final long CLIENT_CAPS = Capabilities.CLIENT_LONG_PASSWORD_FLAG | Capabilities.CLIENT_PROTOCOL_41
            | Capabilities.CLIENT_SECURE_CONNECTION | Capabilities.CLIENT_PLUGIN_AUTH
            | Capabilities.CLIENT_TRANSACTIONS;

    private enum Step {
        GREETING, LOGIN, QUERY, QUERY_RESULT, READ_ONLY_COLUMNS, READ_ONLY_ROW, READ_ONLY_END, LAG_COLUMNS, LAG_ROW
    }

    private static final String LAG_COLUMN = "Seconds_Behind_Master";

    private final HealthCheck check;
    private final CompletableFuture<String> result;
    private final Consumer<ServerReadOnly> readOnly;
    private final LongConsumer lag;
    /** Told the server's refusal when the check user may not read the replication status. */
    private final Consumer<String> lagRefused;
    private PacketAssembler packets;
    private Step step = Step.GREETING;
    private long columns;
    private int lagColumn = -1;
    private int seen;

    /**
     * @param readOnly told the server's read_only, or null to read none
     * @param lag      told the replication lag, or null to measure none; a refusal to show it leaves it unknown
     *                 and is told to {@code lagRefused}, not a failed check
     */
    HealthProbe(HealthCheck check, CompletableFuture<String> result, Consumer<ServerReadOnly> readOnly,
                LongConsumer lag, Consumer<String> lagRefused) {
        this.check = check;
        this.result = result;
        this.readOnly = readOnly;
        this.lag = lag;
        this.lagRefused = lagRefused;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        packets = new PacketAssembler(ctx.alloc(), 1 << 16);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        packets.add((ByteBuf) msg);
        try {
            Packet p;
            while (!result.isDone() && (p = packets.next()) != null) {
                try {
                    handle(ctx, p);
                } finally {
                    p.payload().release();
                }
            }
        } catch (RuntimeException e) {
            finish(ctx, "malformed answer: " + e.getMessage());
        }
    }

    private void handle(ChannelHandlerContext ctx, Packet p) {
        if (p.firstByte() == Packets.ERR && step == Step.LAG_COLUMNS) {
            // the server is up and logged us in; the check user may not read the replication status
            lagRefused.accept(ErrPacket.decode(p.payload()).toString());
            lag.accept(Backend.LAG_UNKNOWN);
            finish(ctx, null);
            return;
        }
        if (p.firstByte() == Packets.ERR) {
            finish(ctx, ErrPacket.decode(p.payload()).toString());
            return;
        }
        switch (step) {
            case GREETING -> {
                HandshakeV10 greeting = HandshakeV10.decode(p.payload());
                if (!check.logsIn()) {
                    finish(ctx, null);
                    return;
                }
                ByteBuf out = ctx.alloc().buffer();
                new HandshakeResponse(CLIENT_CAPS, 1 << 24, 33, check.user(),
                        NativePassword.scramble(check.password(), greeting.scramble()), null,
                        NativePassword.PLUGIN).encode(out);
                ctx.writeAndFlush(PacketFramer.frame(ctx.alloc(), p.seq() + 1, out));
                step = Step.LOGIN;
            }
            case LOGIN -> login(ctx, p);
            case QUERY -> queryAnswered(ctx, p);
            case QUERY_RESULT -> {
                if (isEof(p) && ++seen == 2) {
                    afterCheckQuery(ctx);
                }
            }
            case READ_ONLY_COLUMNS -> {
                if (isEof(p)) {
                    step = Step.READ_ONLY_ROW; // after the column count and definition
                }
            }
            case READ_ONLY_ROW -> {
                readOnly.accept(ServerReadOnly.parse(TextRow.decode(p.payload(), 1)[0]));
                step = Step.READ_ONLY_END;
            }
            case READ_ONLY_END -> {
                if (lag == null) {
                    finish(ctx, null);
                } else {
                    askLag(ctx);
                }
            }
            case LAG_COLUMNS -> lagColumns(ctx, p);
            case LAG_ROW -> lagRow(ctx, p);
        }
    }

    private void queryAnswered(ChannelHandlerContext ctx, Packet p) {
        if (lag == null && readOnly == null) {
            finish(ctx, null);
        } else if (p.firstByte() == Packets.OK) {
            afterCheckQuery(ctx);
        } else {
            step = Step.QUERY_RESULT; // read the rest of the check query's result, then ask what else is wanted
            seen = 0;
        }
    }

    private static boolean isEof(Packet p) {
        return p.firstByte() == Packets.EOF && p.payload().readableBytes() < Packets.EOF_MAX_LENGTH;
    }

    private void afterCheckQuery(ChannelHandlerContext ctx) {
        if (readOnly == null) {
            askLag(ctx);
            return;
        }
        ctx.writeAndFlush(PacketFramer.frame(ctx.alloc(), 0,
                Commands.payload(ctx.alloc(), Commands.COM_QUERY, "SELECT @@global.read_only")));
        step = Step.READ_ONLY_COLUMNS;
    }

    private void askLag(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(PacketFramer.frame(ctx.alloc(), 0,
                Commands.payload(ctx.alloc(), Commands.COM_QUERY, "SHOW SLAVE STATUS")));
        step = Step.LAG_COLUMNS;
        columns = -1;
        seen = 0;
    }

    private void lagColumns(ChannelHandlerContext ctx, Packet p) {
        if (columns < 0) {
            if (p.firstByte() == Packets.OK) { // no result: not a replica
                lag.accept(Backend.LAG_UNKNOWN);
                finish(ctx, null);
                return;
            }
            columns = Payloads.readLenEncInt(p.payload());
            return;
        }
        if (seen < columns) {
            if (ColumnDefinition.decode(p.payload()).name().equals(LAG_COLUMN)) {
                lagColumn = seen;
            }
            seen++;
            return;
        }
        step = Step.LAG_ROW; // the EOF after the column definitions
    }

    private void lagRow(ChannelHandlerContext ctx, Packet p) {
        long seconds = Backend.LAG_UNKNOWN;
        if (p.firstByte() != Packets.EOF && lagColumn >= 0) {
            String value = TextRow.decode(p.payload(), (int) columns)[lagColumn];
            seconds = value == null ? Backend.LAG_UNKNOWN : Long.parseLong(value);
        }
        lag.accept(seconds);
        finish(ctx, null);
    }

    private void login(ChannelHandlerContext ctx, Packet p) {
        if (p.firstByte() == Packets.AUTH_SWITCH) {
            ByteBuf payload = p.payload().skipBytes(1);
            String plugin = Payloads.readNulString(payload);
            if (!NativePassword.PLUGIN.equals(plugin)) {
                finish(ctx, "health-check user must use mysql_native_password, server asks for " + plugin);
                return;
            }
            byte[] seed = Payloads.readNulOrEofString(payload).getBytes(StandardCharsets.ISO_8859_1);
            ByteBuf out = ctx.alloc().buffer(20);
            out.writeBytes(NativePassword.scramble(check.password(), seed));
            ctx.writeAndFlush(PacketFramer.frame(ctx.alloc(), p.seq() + 1, out));
        } else if (p.firstByte() == Packets.OK) {
            ctx.writeAndFlush(PacketFramer.frame(ctx.alloc(), 0,
                    Commands.payload(ctx.alloc(), Commands.COM_QUERY, check.query())));
            step = Step.QUERY;
        } else {
            finish(ctx, String.format("unexpected login packet 0x%02x", p.firstByte()));
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        finish(ctx, "connection closed during " + step.name().toLowerCase());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        finish(ctx, cause.getMessage());
    }

    private void finish(ChannelHandlerContext ctx, String failure) {
        if (result.complete(failure)) {
            if (packets != null) {
                packets.release();
            }
            ctx.close();
        }
    }
}
