package io.mysqlproxy.sql;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a statement does to the session it runs in, as far as multiplexing cares: state that pins the client to its
 * backend connection, a session variable the proxy may replay on another connection, a change of default database,
 * or a read of per-connection values the proxy must carry over. Read from tokens, so it sees every statement of a
 * multi-statement text; when unsure it pins.
 *
 * @param pin            state another connection would not have, or null
 * @param replayableSet  a SET of session variables only from {@link #REPLAYABLE}: the proxy replays it
 * @param useDatabase    the database a USE statement selects, or null
 * @param readsInsertId  reads LAST_INSERT_ID() (or {@code @@identity}): the connection must hold the session's value
 * @param readsPrevious  reads FOUND_ROWS() or ROW_COUNT(): it must run where the client's previous statement ran
 */
public record StatementEffects(PinReason pin, boolean replayableSet, String useDatabase, boolean readsInsertId,
                               boolean readsPrevious) {
    /** Session variables whose SET the proxy replays on the connection a statement borrows. */
    public static final Set<String> REPLAYABLE = Set.of("names", "charset", "autocommit", "sql_mode", "time_zone",
            "character_set_client", "character_set_connection", "character_set_results", "collation_connection",
            "session_track_schema", "session_track_system_variables", "session_track_state_change",
            "session_track_transaction_info", "sql_select_limit", "max_execution_time", "net_write_timeout",
            "net_read_timeout", "wait_timeout", "interactive_timeout", "sql_auto_is_null", "group_concat_max_len");
    /** A statement that does nothing multiplexing cares about. */
    public static final StatementEffects NONE = new StatementEffects(null, false, null, false, false);

    /** Words without which a statement has none of the effects above (checked before tokenizing, which costs more). */
    private static final Set<String> TRIGGERS = Set.of("SET", "USE", "LOCK", "GET_LOCK", "FLUSH", "TEMPORARY", "CALL",
            "HANDLER", "PREPARE", "EXECUTE", "DEALLOCATE", "XA", "SQL_CALC_FOUND_ROWS", "FOUND_ROWS", "ROW_COUNT",
            "CONNECTION_ID", "LAST_INSERT_ID");
    private static final int LONGEST_TRIGGER = "SQL_CALC_FOUND_ROWS".length();

    public static StatementEffects of(String sql) {
        if (!mayHaveEffects(sql)) {
            return NONE;
        }
        SqlStatements.Split split = SqlStatements.split(sql);
        if (!split.certain()) {
            return new StatementEffects(PinReason.UNINSPECTED, false, null, false, false);
        }
        PinReason pin = null;
        String use = null;
        boolean allReplayable = true;
        boolean anyReplayable = false;
        boolean readsInsertId = false;
        boolean readsPrevious = false;
        for (String statement : split.statements()) {
            StatementEffects e = ofStatement(SqlTokenizer.tokenize(statement));
            pin = pin != null ? pin : e.pin();
            use = e.useDatabase() != null ? e.useDatabase() : use;
            allReplayable &= e.replayableSet();
            anyReplayable |= e.replayableSet();
            readsInsertId |= e.readsInsertId();
            readsPrevious |= e.readsPrevious();
        }
        if (anyReplayable && !allReplayable && pin == null) {
            // the proxy replays a client's SETs by sending its text again: never with another statement in it
            pin = PinReason.SESSION_VARIABLE;
        }
        if (pin == null && !anyReplayable && use == null && !readsInsertId && !readsPrevious) {
            return NONE;
        }
        return new StatementEffects(pin, allReplayable && pin == null, use, readsInsertId, readsPrevious);
    }

    /** The effects of one statement (as {@link SqlStatements} splits them), from its tokens. */
    private static StatementEffects ofStatement(List<SqlToken> tokens) {
        PinReason pin = null;
        boolean replayable = false;
        String use = null;
        boolean readsInsertId = false;
        boolean readsPrevious = false;
        boolean first = true;
        for (int i = 0; i < tokens.size(); i++) {
            SqlToken t = tokens.get(i);
            TokenId id = t.id();
            if (id == TokenId.TK_COMMENT) {
                continue;
            }
            PinReason found = null;
            String upper = t.text().toUpperCase(Locale.ROOT);
            switch (id) {
                case TK_LITERAL -> {
                    if (upper.startsWith("@@")) {
                        if (upper.endsWith("IDENTITY") || upper.endsWith("LAST_INSERT_ID")) {
                            readsInsertId = true;
                        }
                    } else if (upper.startsWith("@")) {
                        found = PinReason.USER_VARIABLE;
                    } else if (first && upper.equals("HANDLER")) {
                        found = PinReason.HANDLER;
                    } else if (first && (upper.equals("PREPARE") || upper.equals("EXECUTE")
                            || upper.equals("DEALLOCATE"))) {
                        found = PinReason.PREPARED_STATEMENT;
                    } else if (first && upper.equals("FLUSH") && mentions(tokens, i, "LOCK")) {
                        found = PinReason.TABLE_LOCK;
                    } else if (first && upper.equals("XA")) {
                        found = PinReason.TRANSACTION; // BEGIN and START show in the server's status
                    }
                }
                case TK_FUNCTION -> {
                    switch (upper) {
                        case "GET_LOCK" -> found = PinReason.NAMED_LOCK;
                        case "FOUND_ROWS", "ROW_COUNT" -> readsPrevious = true;
                        case "CONNECTION_ID" -> found = PinReason.CONNECTION_ID;
                        case "LAST_INSERT_ID" -> {
                            if (i + 2 < tokens.size() && tokens.get(i + 2).id() == TokenId.TK_CBRACE) {
                                readsInsertId = true;
                            } else {
                                found = PinReason.LAST_INSERT_ID; // LAST_INSERT_ID(expr) sets it
                            }
                        }
                        default -> { }
                    }
                }
                case TK_SQL_SQL_CALC_FOUND_ROWS -> found = PinReason.FOUND_ROWS;
                case TK_SQL_CALL -> found = first ? PinReason.STORED_PROCEDURE : null;
                case TK_SQL_CREATE -> found = i + 1 < tokens.size()
                        && tokens.get(i + 1).text().equalsIgnoreCase("TEMPORARY") ? PinReason.TEMPORARY_TABLE : null;
                case TK_SQL_LOCK -> found = first ? PinReason.TABLE_LOCK : null;
                case TK_SQL_USE -> {
                    if (first && i + 1 < tokens.size()) {
                        use = tokens.get(i + 1).text();
                    }
                }
                case TK_SQL_SET -> {
                    boolean userVariable = i + 1 < tokens.size() && tokens.get(i + 1).text().startsWith("@")
                            && !tokens.get(i + 1).text().startsWith("@@");
                    if (first && !userVariable) { // a user variable pins as one
                        if (replayableSet(tokens, i + 1)) {
                            replayable = true;
                        } else if (!globalSet(tokens, i + 1)) {
                            found = PinReason.SESSION_VARIABLE;
                        }
                    }
                }
                default -> { }
            }
            first = false;
            if (found != null && pin == null) {
                pin = found;
            }
        }
        return new StatementEffects(pin, replayable && pin == null, use, readsInsertId, readsPrevious);
    }

    /**
     * Whether {@code sql} contains a user or system variable, a versioned comment, or one of the {@link #TRIGGERS}
     * as a word (in any case, also inside strings: a false alarm only costs tokenizing).
     */
    static boolean mayHaveEffects(String sql) {
        int n = sql.length();
        char[] word = new char[LONGEST_TRIGGER];
        int i = 0;
        while (i < n) {
            char c = sql.charAt(i);
            if (c == '@' || c == '/' && i + 2 < n && sql.charAt(i + 1) == '*' && (sql.charAt(i + 2) == '!'
                    || sql.charAt(i + 2) == 'M' || sql.charAt(i + 2) == 'm')) {
                return true;
            }
            if (!isWordChar(c)) {
                i++;
                continue;
            }
            int start = i;
            while (i < n && isWordChar(sql.charAt(i))) {
                i++;
            }
            int length = i - start;
            if (length <= LONGEST_TRIGGER) {
                for (int k = 0; k < length; k++) {
                    word[k] = Character.toUpperCase(sql.charAt(start + k));
                }
                if (TRIGGERS.contains(new String(word, 0, length))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isWordChar(char c) {
        return c == '_' || c == '$' || Character.isLetterOrDigit(c);
    }

    private static boolean mentions(List<SqlToken> tokens, int from, String word) {
        for (int i = from; i < tokens.size() && tokens.get(i).id() != TokenId.TK_SEMICOLON; i++) {
            if (tokens.get(i).text().equalsIgnoreCase(word)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether every assignment of the SET starting at {@code from} is to a replayable session variable, with a value
     * that reads no user variable (those pin anyway).
     */
    private static boolean replayableSet(List<SqlToken> tokens, int from) {
        boolean expectName = true;
        int depth = 0;
        int i = from;
        for (; i < tokens.size() && tokens.get(i).id() != TokenId.TK_SEMICOLON; i++) {
            SqlToken t = tokens.get(i);
            if (expectName) {
                String name = variableName(tokens, i);
                if (name == null || !REPLAYABLE.contains(name)) {
                    return false;
                }
                expectName = false;
                if (name.equals("names") || name.equals("charset")) {
                    continue;
                }
            }
            switch (t.id()) {
                case TK_OBRACE -> depth++;
                case TK_CBRACE -> depth--;
                case TK_COMMA -> expectName = depth == 0;
                default -> { }
            }
        }
        return i > from && !expectName;
    }

    /** Lower-case name of the variable an assignment at {@code i} sets, or null when it is not a session variable. */
    private static String variableName(List<SqlToken> tokens, int i) {
        String first = tokens.get(i).text().toLowerCase(Locale.ROOT);
        if (first.equals("character") && i + 1 < tokens.size() && tokens.get(i + 1).id() == TokenId.TK_SQL_SET) {
            return "charset";
        }
        if (first.equals("session") || first.equals("local")) {
            return i + 1 < tokens.size() ? tokens.get(i + 1).text().toLowerCase(Locale.ROOT) : null;
        }
        if (first.equals("@@session") || first.equals("@@local")) {
            return i + 2 < tokens.size() && tokens.get(i + 1).id() == TokenId.TK_DOT
                    ? tokens.get(i + 2).text().toLowerCase(Locale.ROOT) : null;
        }
        if (first.startsWith("@@") && !first.equals("@@global")) {
            return first.substring(2);
        }
        if (first.startsWith("@") || first.equals("global") || first.equals("@@global")) {
            return null;
        }
        return first;
    }

    /** SET GLOBAL x = ...: changes no session state of its own connection. */
    private static boolean globalSet(List<SqlToken> tokens, int from) {
        if (from >= tokens.size()) {
            return false;
        }
        String first = tokens.get(from).text().toLowerCase(Locale.ROOT);
        return (first.equals("global") || first.equals("@@global")) && mentions(tokens, from, "=")
                && !mentions(tokens, from, ",");
    }
}
