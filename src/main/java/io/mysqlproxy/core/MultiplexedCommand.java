package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.sql.PinReason;
import io.mysqlproxy.sql.ReplicaReads;
import io.mysqlproxy.sql.StatementEffects;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The command a multiplexed client runs now, from the moment it is taken until its response ends: what it is, what
 * it does to the client's session (read from its bytes), and whether its bytes have left the client's queue.
 */
final class MultiplexedCommand {
    private static final Pattern OPENS_TRANSACTION = Pattern.compile(
            "\\s*(BEGIN(\\s+WORK)?\\s*;?\\s*|START\\s+TRANSACTION\\b.*)", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

    /** The command byte, or -1 for an empty packet. */
    private final int code;
    private StatementEffects effects = StatementEffects.NONE;
    /** What the proxy replays of it on other connections (a SET, a database name), or null. */
    private String text;
    /** The statement text of a COM_QUERY that was inspected, else null. */
    private String sql;
    /** The text of a COM_STMT_PREPARE, the statement a COM_STMT_EXECUTE runs and its flags, when routed per statement. */
    private String preparedSql;
    private PreparedStatements.Statement statement;
    private int executeFlags;
    /** {@link #replicaSafe()} once known (after the command was inspected), else null. */
    private Boolean replicaSafe;
    /** Its bytes were taken from the client's queue: sent, or replaced by the proxy's own command. */
    private boolean dequeued;

    MultiplexedCommand(int code, boolean dequeued) {
        this.code = code;
        this.dequeued = dequeued;
    }

    int code() {
        return code;
    }

    StatementEffects effects() {
        return effects;
    }

    boolean dequeued() {
        return dequeued;
    }

    void dequeue() {
        dequeued = true;
    }

    /**
     * Reads what the command at {@code at} (a frame of {@code length}) does to the session; {@code readable} is false
     * when it is too long to read or not the first packet of a command. Returns the pin it needs, or null.
     * Prepared-statement commands pin, unless the client's statements are routed one by one ({@code statements}).
     */
    PinReason inspect(ByteBuf buf, int at, int length, boolean readable, PreparedStatements statements) {
        if (!readable) {
            return PinReason.UNINSPECTED;
        }
        if (isPreparedStatementCommand()) {
            return statements == null ? PinReason.PREPARED_STATEMENT
                    : inspectPrepared(buf, at + Packets.HEADER_SIZE, length, statements);
        }
        switch (code) {
            case Commands.COM_QUERY -> {
                sql = buf.toString(at + Packets.HEADER_SIZE + 1, length - 1, StandardCharsets.UTF_8);
                effects = StatementEffects.of(sql);
                if (effects.pin() != null) {
                    return effects.pin();
                }
                if (effects.replayableSet()) {
                    text = sql;
                }
                return null;
            }
            case Commands.COM_INIT_DB -> {
                text = buf.toString(at + Packets.HEADER_SIZE + 1, length - 1, StandardCharsets.UTF_8);
                return null;
            }
            case Commands.COM_PING, Commands.COM_STATISTICS, Commands.COM_FIELD_LIST, Commands.COM_PROCESS_KILL,
                    Commands.COM_PROCESS_INFO, Commands.COM_DEBUG, Commands.COM_RESET_CONNECTION -> {
                return null;
            }
            default -> {
                return PinReason.COMMAND;
            }
        }
    }

    private PinReason inspectPrepared(ByteBuf buf, int payload, int length, PreparedStatements statements) {
        if (code == Commands.COM_STMT_PREPARE) {
            preparedSql = buf.toString(payload + 1, length - 1, StandardCharsets.UTF_8);
            return null;
        }
        if (code != Commands.COM_STMT_EXECUTE || length < 10) {
            return null; // on the primary, which has every statement under the client's ids
        }
        executeFlags = buf.getUnsignedByte(payload + 5);
        statement = statements.get(buf.getUnsignedIntLE(payload + 1));
        if (statement == null) {
            return null;
        }
        effects = statement.effects;
        if (effects.pin() != null) {
            return effects.pin();
        }
        // a SET the client prepared: the proxy cannot replay it as text on other connections
        return effects.replayableSet() ? PinReason.SESSION_VARIABLE : null;
    }

    /** Whether it is one of the commands on server-side prepared statements. */
    boolean isPreparedStatementCommand() {
        return switch (code) {
            case Commands.COM_STMT_PREPARE, Commands.COM_STMT_EXECUTE, Commands.COM_STMT_FETCH,
                    Commands.COM_STMT_CLOSE, Commands.COM_STMT_RESET, Commands.COM_STMT_SEND_LONG_DATA,
                    Commands.COM_STMT_BULK_EXECUTE -> true;
            default -> false;
        };
    }

    /** The text a COM_STMT_PREPARE prepares, when inspected for routing per statement; else null. */
    String preparedSql() {
        return preparedSql;
    }

    /** The statement a COM_STMT_EXECUTE runs, when it is one the client prepared; else null. */
    PreparedStatements.Statement statement() {
        return statement;
    }

    /**
     * Whether a replica may answer it: an inspected plain read that reads nothing of the client's session
     * (LAST_INSERT_ID() and FOUND_ROWS() belong where the client's writes ran).
     */
    boolean replicaSafe() {
        if (replicaSafe == null) {
            // asked by the split, the read retry and causal reads: the statement is scanned once
            replicaSafe = statement != null ? statement.replicaSafe(executeFlags)
                    : sql != null && effects.pin() == null && !effects.readsInsertId() && !effects.readsPrevious()
                    && ReplicaReads.replicaSafe(sql);
        }
        return replicaSafe;
    }

    /** Whether it is {@code BEGIN} or {@code START TRANSACTION} (not MariaDB's compound {@code BEGIN NOT ATOMIC}). */
    boolean opensTransaction() {
        return sql != null && OPENS_TRANSACTION.matcher(sql).matches();
    }

    /**
     * Whether it may have changed data (causal reads then make the client's next replica reads wait for it): anything
     * but a replica-safe read, a SET or USE the proxy replays, and commands that only read or manage the session.
     */
    boolean mayWrite() {
        return switch (code) {
            case Commands.COM_QUERY -> !replicaSafe() && text == null && effects.useDatabase() == null;
            case Commands.COM_STMT_EXECUTE -> statement == null || !statement.readOnly();
            case Commands.COM_INIT_DB, Commands.COM_PING, Commands.COM_STATISTICS, Commands.COM_FIELD_LIST,
                    Commands.COM_PROCESS_INFO, Commands.COM_DEBUG, Commands.COM_RESET_CONNECTION,
                    Commands.COM_STMT_PREPARE, Commands.COM_STMT_CLOSE, Commands.COM_STMT_RESET,
                    Commands.COM_STMT_SEND_LONG_DATA, Commands.COM_STMT_FETCH -> false;
            default -> true;
        };
    }

    /** Whether the proxy brings what the command changes to every connection the client borrows. */
    boolean carriedOver() {
        return code == Commands.COM_INIT_DB || code == Commands.COM_RESET_CONNECTION
                || code == Commands.COM_QUERY && (text != null || effects.useDatabase() != null);
    }

    /**
     * The command succeeded: what it changed of the session is now the client's ({@code mirror}) and its
     * connection's ({@code connection}). False when it was a SET beyond what the proxy replays: the client must pin.
     */
    boolean appliedTo(SessionMirror mirror, ConnectionState connection) {
        if (code == Commands.COM_INIT_DB && text != null) {
            mirror.databaseSelected(text);
            connection.database = text;
        } else if (code == Commands.COM_RESET_CONNECTION) {
            mirror.reset();
            connection.reset();
        } else if (code == Commands.COM_QUERY) {
            if (effects.useDatabase() != null) {
                mirror.databaseSelected(effects.useDatabase());
                connection.database = effects.useDatabase();
            }
            if (text != null) {
                if (mirror.setsFull()) {
                    return false;
                }
                if (mirror.setApplied(text)) {
                    connection.sets.add(text);
                }
            }
        }
        return true;
    }
}
