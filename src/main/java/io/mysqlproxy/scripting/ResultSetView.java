package io.mysqlproxy.scripting;

import io.mysqlproxy.protocol.ColumnDefinition;
import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.OkPacket;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.protocol.Payloads;
import io.mysqlproxy.protocol.ServerStatus;
import io.mysqlproxy.protocol.TextRow;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaUserdata;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.TwoArgFunction;
import org.luaj.vm2.lib.ZeroArgFunction;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code inj.resultset}: the response of an injected command as MySQL Proxy scripts read it. Fields and rows are
 * decoded from the buffered packets, only when asked for.
 */
final class ResultSetView {
    private final InjectionResult result;
    private final boolean deprecateEof;
    private final boolean extendedMetadata;
    private List<ColumnDefinition> columns;
    private int firstRow;
    private int status;
    private int warnings;
    private boolean parsed;

    private ResultSetView(InjectionResult result, ConnectionInfo info) {
        this.result = result;
        this.deprecateEof = info.deprecateEof();
        this.extendedMetadata = info.extendedMetadata();
    }

    static LuaValue of(InjectionResult result, ConnectionInfo info) {
        ResultSetView view = new ResultSetView(result, info);
        LuaTable meta = new LuaTable();
        meta.set(LuaValue.INDEX, new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key) {
                return view.get(key.tojstring());
            }
        });
        return new LuaUserdata(view, meta);
    }

    private int first() {
        byte[] p = result.firstPacket();
        return p == null || p.length == 0 ? -1 : p[0] & 0xFF;
    }

    private LuaValue get(String key) {
        int first = first();
        switch (key) {
            case "query_status":
                return first == Packets.ERR ? LuaValue.valueOf(255) : first < 0 ? LuaValue.NIL : LuaValue.valueOf(0);
            case "raw":
                return result.firstPacket() == null ? LuaValue.NIL : LuaValue.valueOf(result.firstPacket());
            case "row_count":
                return LuaValue.valueOf(result.rowPackets());
            case "bytes":
                return LuaValue.valueOf(result.rowBytes());
            case "affected_rows":
            case "insert_id":
                if (first != Packets.OK) {
                    return LuaValue.NIL;
                }
                OkPacket ok = OkPacket.decode(Unpooled.wrappedBuffer(result.firstPacket()));
                return LuaValue.valueOf(key.equals("insert_id") ? ok.lastInsertId() : ok.affectedRows());
            case "warning_count":
                parse();
                return LuaValue.valueOf(warnings);
            case "flags":
                parse();
                LuaTable flags = new LuaTable();
                flags.set("in_trans", LuaValue.valueOf((status & ServerStatus.IN_TRANS) != 0));
                flags.set("auto_commit", LuaValue.valueOf((status & ServerStatus.AUTOCOMMIT) != 0));
                flags.set("no_good_index_used", LuaValue.valueOf((status & 0x0010) != 0));
                flags.set("no_index_used", LuaValue.valueOf((status & 0x0020) != 0));
                return flags;
            case "fields":
                requireBuffered("fields");
                parse();
                return fields();
            case "rows":
                requireBuffered("rows");
                if (result.request().packet().length > 0
                        && (result.request().packet()[0] & 0xFF) == Commands.COM_STMT_EXECUTE) {
                    throw new LuaError(".resultset.rows isn't available for prepared statements");
                }
                parse();
                return columns.isEmpty() ? LuaValue.NIL : rows();
            default:
                return LuaValue.NIL;
        }
    }

    private void requireBuffered(String what) {
        if (!result.buffered()) {
            throw new LuaError(".resultset." + what + " needs proxy.queries:append(id, packet, "
                    + "{ resultset_is_needed = true })");
        }
    }

    /** Reads column definitions and the final status, from the buffered packets or the first one alone. */
    private void parse() {
        if (parsed) {
            return;
        }
        parsed = true;
        columns = new ArrayList<>();
        int first = first();
        if (first == Packets.OK) {
            OkPacket ok = OkPacket.decode(Unpooled.wrappedBuffer(result.firstPacket()));
            status = ok.statusFlags();
            warnings = ok.warnings();
            return;
        }
        if (first == Packets.ERR || first < 0 || !result.buffered()) {
            return;
        }
        List<byte[]> packets = result.packets();
        long count = Payloads.readLenEncInt(Unpooled.wrappedBuffer(packets.get(0)));
        int i = 1;
        for (; i <= count && i < packets.size(); i++) {
            columns.add(ColumnDefinition.decode(Unpooled.wrappedBuffer(packets.get(i)), extendedMetadata));
        }
        if (!deprecateEof) {
            i++; // EOF after the column definitions
        }
        firstRow = i;
        for (int j = i; j < packets.size(); j++) {
            byte[] p = packets.get(j);
            if ((p[0] & 0xFF) == Packets.EOF && p.length < Packets.MAX_FRAME_PAYLOAD
                    && (deprecateEof || p.length < Packets.EOF_MAX_LENGTH)) {
                ByteBuf b = Unpooled.wrappedBuffer(p);
                if (deprecateEof) {
                    OkPacket ok = OkPacket.decode(b);
                    status = ok.statusFlags();
                    warnings = ok.warnings();
                } else {
                    b.skipBytes(1);
                    warnings = b.readUnsignedShortLE();
                    status = b.readUnsignedShortLE();
                }
                break;
            }
        }
    }

    private LuaValue fields() {
        LuaTable meta = new LuaTable();
        meta.set(LuaValue.INDEX, new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key) {
                int i = key.optint(0);
                if (i < 1 || i > columns.size()) {
                    return NIL;
                }
                ColumnDefinition c = columns.get(i - 1);
                LuaTable f = new LuaTable();
                f.set("name", c.name());
                f.set("org_name", c.orgName());
                f.set("table", c.table());
                f.set("org_table", c.orgTable());
                f.set("type", c.type());
                return new LuaUserdata(c, metaOf(f));
            }
        });
        meta.set(LuaValue.LEN, new ZeroArgLen(columns.size()));
        return new LuaUserdata(columns, meta);
    }

    private LuaValue rows() {
        int[] next = {firstRow};
        return new ZeroArgFunction() {
            @Override
            public LuaValue call() {
                if (next[0] >= result.packets().size()) {
                    return NIL;
                }
                byte[] p = result.packets().get(next[0]);
                int h = p[0] & 0xFF;
                if (h == Packets.ERR || h == Packets.EOF && p.length < Packets.MAX_FRAME_PAYLOAD
                        && (deprecateEof || p.length < Packets.EOF_MAX_LENGTH)) {
                    return NIL;
                }
                next[0]++;
                String[] values = TextRow.decode(Unpooled.wrappedBuffer(p), columns.size());
                LuaTable row = new LuaTable();
                for (int i = 0; i < values.length; i++) {
                    if (values[i] != null) {
                        row.set(i + 1, values[i]);
                    }
                }
                return row;
            }
        };
    }

    private static LuaTable metaOf(LuaTable fields) {
        LuaTable meta = new LuaTable();
        meta.set(LuaValue.INDEX, fields);
        return meta;
    }

    /** {@code __len} returning a fixed count. */
    private static final class ZeroArgLen extends TwoArgFunction {
        private final int n;

        ZeroArgLen(int n) {
            this.n = n;
        }

        @Override
        public LuaValue call(LuaValue self, LuaValue other) {
            return LuaValue.valueOf(n);
        }
    }
}
