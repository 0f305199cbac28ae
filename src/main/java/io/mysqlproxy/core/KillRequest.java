package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.protocol.Payloads;
import io.mysqlproxy.sql.SqlToken;
import io.mysqlproxy.sql.SqlTokenizer;
import io.mysqlproxy.sql.TokenId;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * A KILL a multiplexed client sent, of a connection or only of the query it runs: the proxy answers those of the
 * thread ids it gave its clients, since the thread on the server is another client's between two statements.
 */
record KillRequest(long threadId, boolean queryOnly) {
    /** Whether {@code buf} starts with a whole or partial KILL command (COM_PROCESS_KILL, or a query "KILL ..."). */
    static boolean startsWithKill(ByteBuf buf) {
        int at = buf.readerIndex();
        if (buf.readableBytes() < Packets.HEADER_SIZE + 1 || buf.getUnsignedByte(at + 3) != 0) {
            return false;
        }
        int command = buf.getUnsignedByte(at + Packets.HEADER_SIZE);
        if (command == Commands.COM_PROCESS_KILL) {
            return true;
        }
        return command == Commands.COM_QUERY
                && Payloads.startsWithWord(buf, at + Packets.HEADER_SIZE + 1, "kill");
    }

    /**
     * The KILL the whole command framed at {@code at} (payload {@code length} bytes) asks for, or null when it is
     * none, or one the server should see (KILL USER, KILL QUERY ID).
     */
    static KillRequest parse(ByteBuf buf, int at, int length) {
        int command = length == 0 ? -1 : buf.getUnsignedByte(at + Packets.HEADER_SIZE);
        if (command == Commands.COM_PROCESS_KILL && length >= 5) {
            return new KillRequest(buf.getUnsignedIntLE(at + Packets.HEADER_SIZE + 1), false);
        }
        if (command != Commands.COM_QUERY || !startsWithKill(buf)) {
            return null;
        }
        // comments are not words of the statement (executable /*! */ ones are: then it is the server's)
        List<SqlToken> tokens = SqlTokenizer.tokenize(
                buf.toString(at + Packets.HEADER_SIZE + 1, length - 1, StandardCharsets.UTF_8)).stream()
                .filter(t -> t.id() != TokenId.TK_COMMENT).toList();
        int i = 1;
        boolean queryOnly = false;
        while (i < tokens.size() && tokens.get(i).id() != TokenId.TK_INTEGER) {
            String word = tokens.get(i).text().toUpperCase(Locale.ROOT);
            if (word.equals("QUERY")) {
                queryOnly = true;
            } else if (!word.equals("CONNECTION") && !word.equals("HARD") && !word.equals("SOFT")) {
                return null;
            }
            i++;
        }
        if (i != tokens.size() - 1 && !(i == tokens.size() - 2
                && tokens.get(i + 1).id() == TokenId.TK_SEMICOLON)) {
            return null;
        }
        try {
            return new KillRequest(Long.parseLong(tokens.get(i).text()), queryOnly);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
