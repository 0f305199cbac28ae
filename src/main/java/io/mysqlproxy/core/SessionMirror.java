package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.Payloads;
import io.mysqlproxy.sql.PinReason;
import io.mysqlproxy.sql.SqlToken;
import io.mysqlproxy.sql.SqlTokenizer;
import io.mysqlproxy.sql.TokenId;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The client's session as the proxy knows it, whatever backend connection it runs on: its default database, the
 * SET statements multiplexing replays on each connection it borrows, its last insert id, and why it keeps its
 * connection (its pin). The one place a change of default database is noted; scripts' {@code default_db} and the
 * admin's {@code connections} table read it here. Written on the session's event loop only.
 */
final class SessionMirror {
    /** SET statements replayed at most; a client that runs more is pinned instead. */
    static final int MAX_REPLAYED_SETS = 32;

    /** Read by the admin interface from another thread. */
    private volatile String database;
    private final List<String> sets = new ArrayList<>();
    private long lastInsertId;
    private PinReason pinned;
    private boolean inTransaction;

    /** The client logged in, selecting {@code loginDatabase} (or none). */
    void loggedIn(String loginDatabase) {
        // a login may carry CLIENT_CONNECT_WITH_DB and an empty name: no database, as the server reads it (replayed
        // as COM_INIT_DB '' it would be error 1046 instead)
        database = loginDatabase == null || loginDatabase.isEmpty() ? null : loginDatabase;
    }

    /** The default database now, or null. */
    String database() {
        return database;
    }

    /** A COM_INIT_DB or USE succeeded. */
    void databaseSelected(String db) {
        database = db;
    }

    /**
     * A command succeeded that a script sent or passed on: notes the default database it selects, if any. Scripts
     * see raw packets, so the statement is read here rather than known from the multiplexer's inspection.
     */
    void commandSucceeded(byte[] payload) {
        String db = databaseSelectedBy(payload);
        if (db != null) {
            database = db;
        }
    }

    /** The database a COM_INIT_DB or a {@code USE} statement in {@code payload} selects, or null. */
    static String databaseSelectedBy(byte[] payload) {
        if (payload.length == 0) {
            return null;
        }
        int command = payload[0] & 0xFF;
        if (command == Commands.COM_INIT_DB) {
            return new String(payload, 1, payload.length - 1, StandardCharsets.UTF_8);
        }
        if (command != Commands.COM_QUERY || !Payloads.startsWithWord(Unpooled.wrappedBuffer(payload), 1, "use")) {
            return null;
        }
        List<SqlToken> tokens = SqlTokenizer.tokenize(new String(payload, 1, payload.length - 1,
                StandardCharsets.UTF_8));
        // backticks and doubled backticks are already undone
        return tokens.size() >= 2 && tokens.get(0).id() == TokenId.TK_SQL_USE ? tokens.get(1).text() : null;
    }

    /** The replayable SET statements run since the last reset, in order. */
    List<String> sets() {
        return Collections.unmodifiableList(sets);
    }

    /** Whether as many SET statements are noted as may be replayed: the client is pinned instead of adding one. */
    boolean setsFull() {
        return sets.size() >= MAX_REPLAYED_SETS;
    }

    /**
     * A replayable SET succeeded: it is replayed on every connection the client borrows from now on. False when it
     * repeats the last one, which is then not noted again.
     */
    boolean setApplied(String set) {
        if (!sets.isEmpty() && sets.get(sets.size() - 1).equals(set)) {
            return false;
        }
        sets.add(set);
        return true;
    }

    long lastInsertId() {
        return lastInsertId;
    }

    void lastInsertId(long id) {
        lastInsertId = id;
    }

    /** Why the client keeps its connection whatever it runs, or null (a transaction is not a pin). */
    PinReason pinned() {
        return pinned;
    }

    /** Whether the client is in a transaction (or runs without autocommit): it keeps its connection until the end. */
    boolean inTransaction() {
        return inTransaction;
    }

    /** The server's status after a command says whether a transaction is open; true if one has just begun. */
    boolean transaction(boolean open) {
        boolean begun = open && !inTransaction;
        inTransaction = open;
        return begun;
    }

    /** Pins the client; a pin for session state replaces a script's (which the script may lift). True if it did. */
    boolean pin(PinReason reason) {
        if (pinned == null || pinned == PinReason.SCRIPT && reason != PinReason.SCRIPT) {
            pinned = reason;
            return true;
        }
        return false;
    }

    /** Lifts a script's pin; pins for session state stay. True if there was a script's pin. */
    boolean unpinScript() {
        if (pinned != PinReason.SCRIPT) {
            return false;
        }
        pinned = null;
        return true;
    }

    /** COM_RESET_CONNECTION succeeded: the server forgot all but the user and the default database. */
    void reset() {
        sets.clear();
        lastInsertId = 0;
        pinned = null;
    }
}
