package io.mysqlproxy.sql;

/**
 * Whether a statement's text may run on a replica: one {@code SELECT} (or {@code WITH ... SELECT}) that neither
 * locks rows ({@code FOR UPDATE}, {@code LOCK IN SHARE MODE}), writes ({@code INTO}, a data-changing CTE) nor uses
 * a sequence. Read from words, not parsed: a word that could mean a write anywhere in the text (in a string or a
 * comment too, and in the SQL of {@code /*! ... *}{@code /} comments) sends it to the primary, which only costs a
 * read the replica could have served. Session state (user variables, GET_LOCK ...) is {@link StatementEffects}'
 * concern and pins before this is asked. Stored functions that write cannot be told from their name: like
 * MaxScale, such a SELECT is taken for a read.
 */
public final class ReplicaReads {
    /** Words after which a SELECT may lock, write, or take a sequence's next value. */
    private static final String[] WRITE_WORDS = {"FOR", "LOCK", "INTO", "UPDATE", "DELETE", "INSERT", "REPLACE",
        "NEXTVAL", "SETVAL", "LASTVAL"};
    private static final int LONGEST = 7;

    private ReplicaReads() {
    }

    public static boolean replicaSafe(String sql) {
        int i = skipToFirstWord(sql);
        if (i < 0) {
            return false;
        }
        int end = wordEnd(sql, i);
        int length = end - i;
        boolean select = length == 6 && sql.regionMatches(true, i, "SELECT", 0, 6);
        boolean with = length == 4 && sql.regionMatches(true, i, "WITH", 0, 4);
        return (select || with) && nothingWritesIn(sql, end);
    }

    /** Where the first word starts after blanks, comments (not executable ones) and opening brackets; -1: none. */
    private static int skipToFirstWord(String sql) {
        int n = sql.length();
        int i = 0;
        while (i < n) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c) || c == '(') {
                i++;
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                if (i + 2 < n && (sql.charAt(i + 2) == '!' || sql.charAt(i + 2) == 'M' || sql.charAt(i + 2) == 'm')) {
                    return -1; // executable: its SQL counts, and it may be anything
                }
                int close = sql.indexOf("*/", i + 2);
                if (close < 0) {
                    return -1;
                }
                i = close + 2;
            } else if (c == '#' || c == '-' && sql.startsWith("-- ", i)) {
                int eol = sql.indexOf('\n', i);
                if (eol < 0) {
                    return -1;
                }
                i = eol + 1;
            } else {
                return isWordChar(c) ? i : -1;
            }
        }
        return -1;
    }

    private static boolean nothingWritesIn(String sql, int from) {
        int n = sql.length();
        int i = from;
        while (i < n) {
            char c = sql.charAt(i);
            if (c == ';') {
                // a second statement: whatever it is, it is not read here
                for (int k = i + 1; k < n; k++) {
                    if (!Character.isWhitespace(sql.charAt(k)) && sql.charAt(k) != ';') {
                        return false;
                    }
                }
                return true;
            }
            if (!isWordChar(c)) {
                i++;
                continue;
            }
            int end = wordEnd(sql, i);
            if (end - i <= LONGEST && isWriteWord(sql, i, end - i)) {
                return false;
            }
            i = end;
        }
        return true;
    }

    private static boolean isWriteWord(String sql, int at, int length) {
        for (String w : WRITE_WORDS) {
            if (w.length() == length && sql.regionMatches(true, at, w, 0, length)) {
                return true;
            }
        }
        return false;
    }

    private static int wordEnd(String sql, int i) {
        int n = sql.length();
        while (i < n && isWordChar(sql.charAt(i))) {
            i++;
        }
        return i;
    }

    private static boolean isWordChar(char c) {
        return c == '_' || c == '$' || Character.isLetterOrDigit(c);
    }
}
