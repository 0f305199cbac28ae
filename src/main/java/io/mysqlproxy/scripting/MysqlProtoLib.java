package io.mysqlproxy.scripting;

import io.mysqlproxy.protocol.Capabilities;
import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.EofPacket;
import io.mysqlproxy.protocol.ErrPacket;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.HandshakeV10;
import io.mysqlproxy.protocol.MalformedPacketException;
import io.mysqlproxy.protocol.OkPacket;
import io.mysqlproxy.protocol.Payloads;
import io.mysqlproxy.protocol.ServerStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.VarArgFunction;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@code mysql.proto} (also the global {@code proto}): MySQL Proxy's encoders and decoders of packet payloads,
 * built on the proxy's own protocol classes. Decoders raise a Lua error on malformed input.
 */
final class MysqlProtoLib {
    private static final String DEFAULT_CHALLENGE = "01234567890123456789";

    private MysqlProtoLib() {
    }

    static LuaTable create() {
        LuaTable m = new LuaTable();
        m.set("from_err_packet", decoder(b -> {
            ErrPacket e = ErrPacket.decode(b);
            LuaTable t = new LuaTable();
            t.set("errmsg", e.message());
            t.set("sqlstate", e.sqlState());
            t.set("errcode", e.errorCode());
            return t;
        }));
        m.set("to_err_packet", encoder(t -> b -> new ErrPacket(t.get("errcode").optint(ErrorCodes.UNKNOWN_ERROR),
                t.get("sqlstate").optjstring(ErrorCodes.STATE_PROXY), t.get("errmsg").optjstring("")).encode(b)));
        m.set("from_ok_packet", decoder(b -> {
            OkPacket ok = OkPacket.decode(b);
            LuaTable t = new LuaTable();
            t.set("server_status", ok.statusFlags());
            t.set("insert_id", LuaValue.valueOf(ok.lastInsertId()));
            t.set("warnings", ok.warnings());
            t.set("affected_rows", LuaValue.valueOf(ok.affectedRows()));
            return t;
        }));
        m.set("to_ok_packet", encoder(t -> b -> new OkPacket(t.get("affected_rows").optlong(0),
                t.get("insert_id").optlong(0), t.get("server_status").optint(ServerStatus.AUTOCOMMIT),
                t.get("warnings").optint(0), "").encode(b)));
        m.set("from_eof_packet", decoder(b -> {
            EofPacket eof = EofPacket.decode(b);
            LuaTable t = new LuaTable();
            t.set("server_status", eof.statusFlags());
            t.set("warnings", eof.warnings());
            return t;
        }));
        m.set("to_eof_packet", encoder(t -> b -> new EofPacket(t.get("warnings").optint(0),
                t.get("server_status").optint(ServerStatus.AUTOCOMMIT)).encode(b)));
        m.set("from_challenge_packet", decoder(MysqlProtoLib::fromChallenge));
        m.set("to_challenge_packet", encoder(t -> b -> toChallenge(t).encode(b)));
        m.set("from_response_packet", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                ByteBuf b = buf(args.checkstring(1));
                long serverCaps = args.optlong(2, ~0L);
                try {
                    HandshakeResponse r = HandshakeResponse.decode(b);
                    LuaTable t = new LuaTable();
                    t.set("capabilities", LuaValue.valueOf(r.capabilities()));
                    t.set("server_capabilities", LuaValue.valueOf(serverCaps));
                    t.set("max_packet_size", r.maxPacketSize());
                    t.set("charset", r.charset());
                    t.set("username", r.username());
                    t.set("response", LuaValue.valueOf(r.authResponse()));
                    t.set("auth_plugin_name", r.authPluginName() == null ? NIL : valueOf(r.authPluginName()));
                    t.set("database", r.database() == null ? NIL : valueOf(r.database()));
                    return t;
                } catch (MalformedPacketException | IndexOutOfBoundsException e) {
                    throw new LuaError("proto.from_response_packet: " + e.getMessage());
                }
            }
        });
        m.set("to_response_packet", encoder(t -> b -> new HandshakeResponse(
                t.get("capabilities").optlong(Capabilities.CLIENT_PROTOCOL_41
                        | Capabilities.CLIENT_SECURE_CONNECTION | Capabilities.CLIENT_PLUGIN_AUTH),
                t.get("max_packet_size").optint(1 << 24), t.get("charset").optint(8),
                t.get("username").optjstring(""), bytesOf(t.get("response")), t.get("database").optjstring(null),
                t.get("auth_plugin_name").optjstring("mysql_native_password")).encode(b)));
        m.set("from_stmt_prepare_packet", decoder(b -> {
            b.skipBytes(1);
            LuaTable t = new LuaTable();
            t.set("stmt_text", Payloads.readRestAsString(b));
            return t;
        }));
        m.set("from_stmt_prepare_ok_packet", decoder(b -> {
            if (b.readUnsignedByte() != 0) {
                throw new MalformedPacketException("not a COM_STMT_PREPARE OK packet");
            }
            LuaTable t = new LuaTable();
            t.set("stmt_id", LuaValue.valueOf(b.readUnsignedIntLE()));
            t.set("num_columns", b.readUnsignedShortLE());
            t.set("num_params", b.readUnsignedShortLE());
            b.skipBytes(1);
            t.set("warnings", b.readUnsignedShortLE());
            return t;
        }));
        m.set("stmt_id_from_stmt_execute_packet", new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue s) {
                ByteBuf b = buf(s.checkstring());
                if (b.readableBytes() < 5) {
                    throw new LuaError("proto.stmt_id_from_stmt_execute_packet: packet too short");
                }
                return LuaValue.valueOf(b.getUnsignedIntLE(1));
            }
        });
        m.set("from_stmt_execute_packet", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                ByteBuf b = buf(args.checkstring(1));
                try {
                    return fromStmtExecute(b, args.checkint(2));
                } catch (MalformedPacketException | IndexOutOfBoundsException e) {
                    throw new LuaError("proto.from_stmt_execute_packet: " + e.getMessage());
                }
            }
        });
        m.set("from_stmt_close_packet", decoder(b -> {
            b.skipBytes(1);
            LuaTable t = new LuaTable();
            t.set("stmt_id", LuaValue.valueOf(b.readUnsignedIntLE()));
            return t;
        }));
        return m;
    }

    /** COM_STMT_EXECUTE with its parameters decoded from the binary protocol (types are known only when bound). */
    private static LuaTable fromStmtExecute(ByteBuf b, int numParams) {
        if (b.readUnsignedByte() != Commands.COM_STMT_EXECUTE) {
            throw new MalformedPacketException("not a COM_STMT_EXECUTE packet");
        }
        LuaTable t = new LuaTable();
        t.set("stmt_id", LuaValue.valueOf(b.readUnsignedIntLE()));
        t.set("flags", b.readUnsignedByte());
        t.set("iteration_count", LuaValue.valueOf(b.readUnsignedIntLE()));
        if (numParams <= 0) {
            return t;
        }
        byte[] nulls = Payloads.readFixed(b, (numParams + 7) / 8);
        boolean bound = b.readUnsignedByte() == 1;
        t.set("new_params_bound", LuaValue.valueOf(bound));
        if (!bound) {
            return t; // the types were sent with an earlier execution
        }
        int[] types = new int[numParams];
        for (int i = 0; i < numParams; i++) {
            types[i] = b.readUnsignedShortLE();
        }
        LuaTable params = new LuaTable();
        for (int i = 0; i < numParams; i++) {
            LuaTable p = new LuaTable();
            int type = types[i] & 0xFF;
            boolean unsigned = (types[i] & 0x8000) != 0;
            p.set("type", type);
            boolean isNull = (nulls[i / 8] & (1 << (i % 8))) != 0;
            if (!isNull) {
                p.set("value", binaryValue(b, type, unsigned));
            }
            params.set(i + 1, p);
        }
        t.set("params", params);
        return t;
    }

    private static LuaValue binaryValue(ByteBuf b, int type, boolean unsigned) {
        return switch (type) {
            case 1 -> LuaValue.valueOf(unsigned ? b.readUnsignedByte() : b.readByte());
            case 2, 13 -> LuaValue.valueOf(unsigned ? b.readUnsignedShortLE() : b.readShortLE());
            case 3, 9 -> LuaValue.valueOf(unsigned ? (double) b.readUnsignedIntLE() : b.readIntLE());
            case 8 -> LuaValue.valueOf(unsigned ? Long.toUnsignedString(b.readLongLE()) : String.valueOf(b.readLongLE()))
                    .tonumber();
            case 4 -> LuaValue.valueOf(b.readFloatLE());
            case 5 -> LuaValue.valueOf(b.readDoubleLE());
            case 6 -> LuaValue.NIL;
            case 7, 10, 12 -> LuaValue.valueOf(dateTime(b));
            case 11 -> LuaValue.valueOf(time(b));
            default -> LuaValue.valueOf(Payloads.readLenEncBytes(b));
        };
    }

    private static String dateTime(ByteBuf b) {
        int len = b.readUnsignedByte();
        int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
        long micros = 0;
        if (len >= 4) {
            y = b.readUnsignedShortLE();
            mo = b.readUnsignedByte();
            d = b.readUnsignedByte();
        }
        if (len >= 7) {
            h = b.readUnsignedByte();
            mi = b.readUnsignedByte();
            s = b.readUnsignedByte();
        }
        if (len >= 11) {
            micros = b.readUnsignedIntLE();
        }
        String out = String.format("%04d-%02d-%02d %02d:%02d:%02d", y, mo, d, h, mi, s);
        return micros == 0 ? out : out + String.format(".%06d", micros);
    }

    private static String time(ByteBuf b) {
        int len = b.readUnsignedByte();
        if (len == 0) {
            return "00:00:00";
        }
        boolean negative = b.readUnsignedByte() == 1;
        long hours = b.readUnsignedIntLE() * 24 + b.readUnsignedByte();
        int mi = b.readUnsignedByte();
        int s = b.readUnsignedByte();
        long micros = len >= 12 ? b.readUnsignedIntLE() : 0;
        String out = String.format("%s%02d:%02d:%02d", negative ? "-" : "", hours, mi, s);
        return micros == 0 ? out : out + String.format(".%06d", micros);
    }

    private static LuaTable fromChallenge(ByteBuf b) {
        HandshakeV10 h = HandshakeV10.decode(b);
        LuaTable t = new LuaTable();
        t.set("protocol_version", HandshakeV10.PROTOCOL_VERSION);
        t.set("server_version", ConnectionInfo.mysqldVersion(h.serverVersion()));
        t.set("server_version_string", h.serverVersion());
        t.set("thread_id", LuaValue.valueOf(h.connectionId()));
        t.set("capabilities", LuaValue.valueOf(h.capabilities()));
        t.set("charset", h.charset());
        t.set("server_status", h.statusFlags());
        t.set("challenge", LuaValue.valueOf(h.scramble()));
        t.set("auth_plugin_name", h.authPluginName() == null ? LuaValue.NIL : LuaValue.valueOf(h.authPluginName()));
        return t;
    }

    private static HandshakeV10 toChallenge(LuaTable t) {
        int v = t.get("server_version").optint(50099);
        String version = (v / 10000) + "." + (v / 100 % 100) + "." + (v % 100);
        byte[] challenge = t.get("challenge").isnil() ? DEFAULT_CHALLENGE.getBytes(StandardCharsets.US_ASCII)
                : bytesOf(t.get("challenge"));
        byte[] data = Arrays.copyOf(challenge, Math.max(challenge.length + 1, 21));
        // MySQL Proxy's default was PROTOCOL_41|SECURE_CONNECTION; today's drivers also need the plugin name
        long caps = t.get("capabilities").optlong(Capabilities.CLIENT_PROTOCOL_41
                | Capabilities.CLIENT_SECURE_CONNECTION | Capabilities.CLIENT_PLUGIN_AUTH) | Capabilities.CLIENT_MYSQL;
        String plugin = Capabilities.has(caps, Capabilities.CLIENT_PLUGIN_AUTH) ? "mysql_native_password" : null;
        return new HandshakeV10(version, t.get("thread_id").optlong(1), data, caps, t.get("charset").optint(8),
                t.get("server_status").optint(ServerStatus.AUTOCOMMIT), plugin == null ? 0 : data.length, plugin);
    }

    private static byte[] bytesOf(LuaValue v) {
        return v.isnil() ? new byte[0] : ResponseEncoder.luaBytes(v.checkstring());
    }

    private static ByteBuf buf(LuaString s) {
        return Unpooled.wrappedBuffer(ResponseEncoder.luaBytes(s));
    }

    private static LuaValue decoder(Function<ByteBuf, LuaTable> decode) {
        return new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue s) {
                try {
                    return decode.apply(buf(s.checkstring()));
                } catch (MalformedPacketException | IndexOutOfBoundsException e) {
                    throw new LuaError("mysql.proto: " + e.getMessage());
                }
            }
        };
    }

    private static LuaValue encoder(Function<LuaTable, Consumer<ByteBuf>> encode) {
        return new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue t) {
                ByteBuf b = Unpooled.buffer();
                encode.apply(t.checktable()).accept(b);
                byte[] out = new byte[b.readableBytes()];
                b.readBytes(out);
                return LuaValue.valueOf(out);
            }
        };
    }
}
