package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.sql.ReplicaReads;
import io.mysqlproxy.sql.StatementEffects;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The server-side prepared statements of one client of a splitting listener that keeps its connections: each is
 * prepared where the client prepared it (its primary connection, the <em>owner</em>, whose statement ids the client
 * uses), and again, by the proxy, on a replica connection the first time one of its executions of read-only text
 * goes there. An execution sent to a copy carries the copy's statement id, and the parameter types the copy has not
 * seen yet (a client sends them only when they change).
 */
final class PreparedStatements {
    /** The id MariaDB clients execute to mean the statement they prepared last on the connection. */
    static final long LAST_PREPARED = 0xFFFF_FFFFL;
    /** Offsets in a framed COM_STMT_EXECUTE: id, flags, iteration count, then the null bitmap. */
    private static final int ID_AT = Packets.HEADER_SIZE + 1;
    private static final int FLAGS_AT = ID_AT + 4;
    private static final int BITMAP_AT = FLAGS_AT + 5;
    /** MySQL 8's flag for a parameter count ahead of the null bitmap (query attributes): another layout. */
    private static final int PARAMETER_COUNT_AVAILABLE = 0x08;

    /** One statement the client prepared. */
    static final class Statement {
        final long id;
        final String sql;
        final int params;
        final StatementEffects effects;
        /** Its text only reads, and reads nothing of the client's session. */
        private final boolean readOnly;
        /** Whether a replica may execute it: read-only, and no replica refused it or its layout. */
        private boolean replicaSafe;
        /** Long data was sent for its next execution, which the owner has. */
        private boolean longData;
        /** The parameter types the client sent last (two bytes per parameter), and how often they changed. */
        private byte[] types;
        private int typesVersion;
        /** Which version of the types the owner has. */
        private int ownerTypes;
        /** Its copies on other connections. */
        private final Map<PooledConnection, Copy> copies = new IdentityHashMap<>(2);

        Statement(long id, String sql, int params) {
            this.id = id;
            this.sql = sql;
            this.params = params;
            this.effects = StatementEffects.of(sql);
            this.readOnly = effects.pin() == null && !effects.replayableSet() && !effects.readsInsertId()
                    && !effects.readsPrevious() && ReplicaReads.replicaSafe(sql);
            this.replicaSafe = readOnly;
        }

        /** Whether an execution with {@code flags} may run on a replica: no cursor, no long data. */
        boolean replicaSafe(int flags) {
            return replicaSafe && flags == 0 && !longData;
        }

        /** Whether it only reads (whether or not a replica may run it): its executions change no data. */
        boolean readOnly() {
            return readOnly;
        }
    }

    /** A statement prepared by the proxy on another connection: its id there, the version of the types it has. */
    private static final class Copy {
        final long id;
        int types;

        Copy(long id) {
            this.id = id;
        }
    }

    private final Map<Long, Statement> byId = new HashMap<>();
    /** The connection whose statement ids the client holds, or null before its first statement. */
    private PooledConnection owner;
    private Statement last;

    /** The statement {@code id} names (the last prepared for {@link #LAST_PREPARED}), or null. */
    Statement get(long id) {
        return id == LAST_PREPARED ? last : byId.get(id);
    }

    /** The server accepted a COM_STMT_PREPARE of {@code sql} on {@code on} as {@code id} with {@code params}. */
    void prepared(PooledConnection on, long id, int params, String sql) {
        if (byId.isEmpty()) {
            owner = on;
        }
        last = new Statement(id, sql, params);
        byId.put(id, last);
    }

    /** A COM_STMT_PREPARE failed: an execution of the last prepared statement names none. */
    void prepareFailed() {
        last = null;
    }

    /** Whether the client's statement ids mean nothing on {@code held}, which is not their owner, and it has some. */
    boolean ownerLost(PooledConnection held) {
        return !byId.isEmpty() && held != owner;
    }

    /** Whether an execution of {@code statement} may go to {@code held} as it is or with the copy's id. */
    boolean preparedOn(Statement statement, PooledConnection held) {
        return held == owner || statement.copies.containsKey(held);
    }

    /** {@code statement} is prepared on {@code held} as {@code id}, by the proxy. */
    void copied(Statement statement, PooledConnection held, long id) {
        statement.copies.keySet().removeIf(c -> !c.channel().isActive()); // copies on connections lost since
        statement.copies.put(held, new Copy(id));
        held.state().holdsStatements = true;
    }

    /** A replica could not prepare {@code statement}: its executions stay on the primary. */
    void refusedByReplica(Statement statement) {
        statement.replicaSafe = false;
    }

    /**
     * The client's prepared-statement command {@code framed} (one frame, read whole) as {@code held} must get it,
     * noting what it does: the copy's statement id and the types it lacks for an execution sent to a copy; for
     * COM_STMT_CLOSE also the copies are closed, on the connections the client still has ({@code ours}).
     */
    ByteBuf toServer(ByteBuf framed, PooledConnection held, Predicate<PooledConnection> ours) {
        int code = framed.getUnsignedByte(Packets.HEADER_SIZE);
        Statement statement = framed.readableBytes() >= FLAGS_AT ? get(framed.getUnsignedIntLE(ID_AT)) : null;
        if (statement == null) {
            return framed; // the server answers for an id it does not know
        }
        switch (code) {
            case Commands.COM_STMT_EXECUTE -> {
                ByteBuf sent = execute(framed, statement, held);
                statement.longData = false;
                return sent;
            }
            case Commands.COM_STMT_SEND_LONG_DATA -> statement.longData = true;
            case Commands.COM_STMT_RESET -> statement.longData = false;
            case Commands.COM_STMT_CLOSE -> close(statement, ours);
            default -> {
            }
        }
        return framed;
    }

    private ByteBuf execute(ByteBuf framed, Statement s, PooledConnection held) {
        if (framed.readableBytes() < BITMAP_AT) {
            return framed; // too short to be an execution: the server answers it
        }
        if ((framed.getUnsignedByte(FLAGS_AT) & PARAMETER_COUNT_AVAILABLE) != 0) {
            s.replicaSafe = false; // its parameters are not where this class reads them: the owner runs it as sent
            return framed;
        }
        Copy copy = held == owner ? null : s.copies.get(held);
        int bitmap = (s.params + 7) / 8;
        int flagAt = BITMAP_AT + bitmap;
        boolean bound = s.params > 0 && framed.readableBytes() > flagAt && framed.getByte(flagAt) == 1;
        if (bound) {
            int typesLength = 2 * s.params;
            if (framed.readableBytes() >= flagAt + 1 + typesLength) {
                s.types = new byte[typesLength];
                framed.getBytes(flagAt + 1, s.types);
                s.typesVersion++;
            }
        }
        boolean lacksTypes = s.params > 0 && !bound && s.types != null
                && (copy == null ? s.ownerTypes : copy.types) != s.typesVersion;
        if (copy == null) {
            s.ownerTypes = s.typesVersion;
            return lacksTypes ? withTypes(framed, s, flagAt, s.id) : framed;
        }
        copy.types = s.typesVersion;
        if (lacksTypes) {
            return withTypes(framed, s, flagAt, copy.id);
        }
        // a copy: the client's bytes may be kept to run again elsewhere (a read retried, a transaction replayed)
        ByteBuf out = framed.copy().setIntLE(ID_AT, (int) copy.id);
        framed.release();
        return out;
    }

    /** {@code framed} sent with statement id {@code id}, the new-parameters flag set and the types inserted. */
    private static ByteBuf withTypes(ByteBuf framed, Statement s, int flagAt, long id) {
        ByteBufAllocator alloc = framed.alloc();
        int payload = framed.readableBytes() - Packets.HEADER_SIZE + s.types.length;
        ByteBuf out = alloc.buffer(Packets.HEADER_SIZE + payload);
        out.writeMediumLE(payload).writeByte(0);
        out.writeBytes(framed, Packets.HEADER_SIZE, flagAt - Packets.HEADER_SIZE);
        out.setIntLE(ID_AT, (int) id);
        out.writeByte(1).writeBytes(s.types);
        out.writeBytes(framed, flagAt + 1, framed.readableBytes() - flagAt - 1);
        framed.release();
        return out;
    }

    private void close(Statement s, Predicate<PooledConnection> ours) {
        byId.remove(s.id);
        if (last == s) {
            last = null;
        }
        s.copies.forEach((connection, copy) -> {
            if (ours.test(connection) && connection.channel().isActive()) {
                ByteBuf payload = connection.channel().alloc().buffer(5).writeByte(Commands.COM_STMT_CLOSE)
                        .writeIntLE((int) copy.id);
                connection.channel().writeAndFlush(PacketFramer.frame(connection.channel().alloc(), 0, payload));
            }
        });
        s.copies.clear();
    }
}
