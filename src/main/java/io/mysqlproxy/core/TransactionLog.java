package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Commands;
import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * The statements of a multiplexed client's open transaction, each with a checksum of the answer the client got,
 * kept so that the transaction can run again on another primary when its own is lost ({@code --transaction-replay}).
 * A transaction is kept from the statement that opened it ({@code BEGIN}, {@code START TRANSACTION}, or without
 * autocommit the first statement after the last commit; the multiplexing prelude brings {@code SET autocommit} to
 * the new connection), and only while every command in it is a text statement the log saw go out and come back,
 * within the size limit.
 */
final class TransactionLog {
    /** A statement as the client sent it (framed) and the CRC-32 of every byte of its answer. */
    record Statement(ByteBuf command, long checksum) {
    }

    private final long maxBytes;
    private final List<Statement> statements = new ArrayList<>();
    private final CRC32 answer = new CRC32();
    private long bytes;
    /** A transaction is open and was opened by a statement the log kept. */
    private boolean recording;
    /** Something in it cannot be replayed: a command of another kind, one the log did not see, too many bytes. */
    private boolean unreplayable;
    /** The statement being answered now, or null. */
    private ByteBuf running;

    TransactionLog(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** The client's command {@code framed} (code {@code code}) goes to the server now. */
    void sent(ByteBuf framed, int code, boolean opensTransaction) {
        if (opensTransaction) {
            clear(); // BEGIN inside a transaction commits it first
            recording = true;
        }
        if (!recording) {
            return;
        }
        dropRunning();
        if (code == Commands.COM_QUERY) {
            running = framed.retainedDuplicate();
        } else {
            unreplayable = true;
        }
        answer.reset();
    }

    /** Bytes of the answer to the running statement, as they go to the client. */
    void answered(ByteBuf buf) {
        if (running != null) {
            for (ByteBuffer b : buf.nioBuffers()) {
                answer.update(b);
            }
        }
    }

    /** The answer ended; {@code inTransaction}: the server reports a transaction open after it. */
    void ended(boolean inTransaction) {
        if (!recording) {
            return;
        }
        if (!inTransaction) {
            clear();
            return;
        }
        if (running == null) {
            unreplayable = true;
            return;
        }
        bytes += running.readableBytes() + Long.BYTES;
        if (unreplayable || bytes > maxBytes) {
            unreplayable = true;
            dropRunning();
            releaseStatements(); // nothing of it will be replayed: its memory goes now
            return;
        }
        statements.add(new Statement(running, answer.getValue()));
        running = null;
    }

    /** Whether the open transaction can be replayed: it was kept whole. */
    boolean replayable() {
        return recording && !unreplayable && !statements.isEmpty();
    }

    List<Statement> statements() {
        return statements;
    }

    /** The statement cut before it was answered, or null. */
    ByteBuf running() {
        return running;
    }

    private void dropRunning() {
        if (running != null) {
            running.release();
            running = null;
        }
    }

    private void releaseStatements() {
        for (Statement s : statements) {
            s.command().release();
        }
        statements.clear();
    }

    /** No transaction is open any more (or the session ended): everything kept goes. */
    void clear() {
        dropRunning();
        releaseStatements();
        bytes = 0;
        recording = false;
        unreplayable = false;
    }
}
