package io.mysqlproxy.scripting;

import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.ColumnDefinition;
import io.mysqlproxy.protocol.ErrPacket;
import io.mysqlproxy.protocol.OkPacket;
import io.mysqlproxy.protocol.ResultSetWriter;
import io.mysqlproxy.protocol.ServerStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;

import java.util.ArrayList;
import java.util.List;

/** Turns a script's {@code proxy.response} table into the payloads the client receives. */
final class ResponseEncoder {
    static final int OK = 0;
    static final int ERR = 255;
    static final int RAW = 250;
    private static final int TYPE_STRING = 254;

    private ResponseEncoder() {
    }

    /**
     * The payloads of {@code response}. A result set's rows may all name one large string: the bytes they add up to
     * are charged to {@code budget} as they are encoded, so such a response is interrupted, not built.
     */
    static List<byte[]> encode(LuaValue response, ConnectionInfo info, Budget budget) {
        if (!response.istable()) {
            throw new LuaError("proxy.response is not a table");
        }
        LuaValue type = response.get("type");
        if (!type.isnumber()) {
            throw new LuaError("proxy.response.type must be proxy.MYSQLD_PACKET_OK, _ERR or _RAW");
        }
        return switch (type.toint()) {
            case OK -> response.get("resultset").istable()
                    ? resultSet(response.get("resultset").checktable(), info, budget) : List.of(ok(response));
            case ERR -> List.of(err(response));
            case RAW -> raw(response.get("packets"));
            default -> throw new LuaError("proxy.response.type " + type.toint() + " is not OK, ERR or RAW");
        };
    }

    private static byte[] ok(LuaValue r) {
        ByteBuf b = Unpooled.buffer(16);
        new OkPacket(r.get("affected_rows").optlong(0), r.get("insert_id").optlong(0), ServerStatus.AUTOCOMMIT, 0, "")
                .encode(b);
        return bytes(b);
    }

    private static byte[] err(LuaValue r) {
        LuaValue msg = r.get("errmsg");
        if (!msg.isstring()) {
            throw new LuaError("proxy.response.errmsg is nil");
        }
        String state = r.get("sqlstate").optjstring(ErrorCodes.STATE_PROXY);
        if (state.length() != 5) {
            throw new LuaError("proxy.response.sqlstate must have 5 characters");
        }
        ByteBuf b = Unpooled.buffer(32);
        new ErrPacket(r.get("errcode").optint(ErrorCodes.UNKNOWN_ERROR), state, msg.tojstring()).encode(b);
        return bytes(b);
    }

    private static List<byte[]> resultSet(LuaTable rs, ConnectionInfo info, Budget budget) {
        LuaValue fieldsValue = rs.get("fields");
        if (!fieldsValue.istable() || fieldsValue.length() == 0) {
            throw new LuaError("proxy.response.resultset.fields must be a non-empty table");
        }
        LuaTable fields = fieldsValue.checktable();
        List<ColumnDefinition> columns = new ArrayList<>();
        for (int i = 1; i <= fields.length(); i++) {
            LuaValue f = fields.get(i);
            if (!f.istable()) {
                throw new LuaError("proxy.response.resultset.fields[" + i + "] is not a table");
            }
            columns.add(ColumnDefinition.generated(f.get("name").optjstring("no-field-name"),
                    f.get("type").optint(TYPE_STRING)));
        }
        List<String[]> rows = new ArrayList<>();
        LuaValue rowsValue = rs.get("rows");
        if (!rowsValue.isnil()) {
            LuaTable t = rowsValue.checktable();
            for (int r = 1; r <= t.length(); r++) {
                LuaValue row = t.get(r);
                if (!row.istable()) {
                    throw new LuaError("proxy.response.resultset.rows[" + r + "] is not a table");
                }
                String[] values = new String[columns.size()];
                long rowBytes = 0;
                for (int c = 0; c < values.length; c++) {
                    LuaValue v = row.get(c + 1);
                    int length = v.type() == LuaValue.TSTRING ? v.rawlen() : 24;
                    budget.reserve(3.0 * length, "a result set value of " + length + " bytes"); // text and bytes
                    values[c] = v.isnil() ? null : v.tojstring();
                    rowBytes += length;
                }
                budget.work(1 + (rowBytes >> 4));
                rows.add(values);
            }
        }
        List<byte[]> out = new ArrayList<>();
        for (ByteBuf b : ResultSetWriter.payloads(UnpooledByteBufAllocator.DEFAULT, columns, rows,
                info.deprecateEof(), info.extendedMetadata(), ServerStatus.AUTOCOMMIT)) {
            out.add(bytes(b));
        }
        return out;
    }

    private static List<byte[]> raw(LuaValue packets) {
        if (!packets.istable() || packets.length() == 0) {
            throw new LuaError("proxy.response.packets must be a non-empty table of strings");
        }
        List<byte[]> out = new ArrayList<>();
        for (int i = 1; i <= packets.length(); i++) {
            out.add(luaBytes(packets.get(i).checkstring()));
        }
        return out;
    }

    static byte[] luaBytes(LuaString s) {
        byte[] b = new byte[s.m_length];
        s.copyInto(0, b, 0, b.length);
        return b;
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }
}
