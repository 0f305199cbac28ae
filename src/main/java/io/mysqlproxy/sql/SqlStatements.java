package io.mysqlproxy.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Splits the text of a COM_QUERY into the statements the server runs, lexing as MariaDB and MySQL do: quoted strings
 * and names (doubled quotes, backslash escapes), {@code #}, {@code -- } and {@code /* *}{@code /} comments, and
 * executable comments ({@code /*!...*}{@code /}, {@code /*!40101 ...*}{@code /}, MariaDB's {@code /*M!...*}{@code /}),
 * whose text the server runs as SQL whatever the version number says: in a statement they are replaced by that text.
 * <p>
 * A text is refused ({@link Split#problem()}) where the server could see other statements than the proxy: an
 * unterminated string, name or comment, an executable comment inside another, and a backslash inside quotes that
 * would end or continue them differently under {@code NO_BACKSLASH_ESCAPES} or {@code ANSI_QUOTES} (or a multi-byte
 * character set whose characters may end in a backslash byte), modes and character sets the proxy does not know.
 */
public final class SqlStatements {
    /**
     * @param statements the statements, each without its terminating {@code ;}, blank ones left out
     * @param problem    why the text cannot be split for certain (then {@code statements} is empty), or null
     */
    public record Split(List<String> statements, String problem) {
        public boolean certain() {
            return problem == null;
        }
    }

    /** How backslashes inside quotes are read. */
    private enum Escapes { BOTH_QUOTES, SINGLE_QUOTES_ONLY, NONE }

    private SqlStatements() {
    }

    public static Split split(String sql) {
        Lexed standard = lex(sql, Escapes.BOTH_QUOTES);
        if (standard.problem == null && standard.backslashInQuotes) {
            for (Escapes other : new Escapes[] {Escapes.SINGLE_QUOTES_ONLY, Escapes.NONE}) {
                Lexed alternative = lex(sql, other);
                if (!standard.statements.equals(alternative.statements)
                        || !Objects.equals(standard.problem, alternative.problem)) {
                    return new Split(List.of(), "a backslash inside quotes would split the statements differently "
                            + "under NO_BACKSLASH_ESCAPES or ANSI_QUOTES");
                }
            }
        }
        return standard.problem != null ? new Split(List.of(), standard.problem)
                : new Split(List.copyOf(standard.statements), null);
    }

    private static final class Lexed {
        final List<String> statements = new ArrayList<>();
        String problem;
        boolean backslashInQuotes;
    }

    private static Lexed lex(String sql, Escapes escapes) {
        Lexed out = new Lexed();
        StringBuilder current = new StringBuilder();
        boolean inExecutable = false;
        int n = sql.length();
        int i = 0;
        while (i < n) {
            char c = sql.charAt(i);
            char next = i + 1 < n ? sql.charAt(i + 1) : 0;
            if (c == '\'' || c == '"' || c == '`') {
                boolean escaping = c == '\'' ? escapes != Escapes.NONE : c == '"' && escapes == Escapes.BOTH_QUOTES;
                int end = quotedEnd(sql, i, escaping, out);
                if (end < 0) {
                    out.problem = "an unterminated " + (c == '`' ? "quoted name" : "string");
                    return out;
                }
                current.append(sql, i, end);
                i = end;
            } else if (c == '#' || SqlChars.dashCommentAt(sql, i)) {
                int end = sql.indexOf('\n', i);
                i = end < 0 ? n : end + 1;
                current.append(' ');
            } else if (c == '/' && next == '*') {
                int marker = executableMarker(sql, i + 2);
                if (marker > 0) {
                    if (inExecutable) {
                        out.problem = "an executable comment inside another";
                        return out;
                    }
                    inExecutable = true;
                    current.append(' ');
                    i = marker;
                } else {
                    int end = sql.indexOf("*/", i + 2);
                    if (end < 0) {
                        out.problem = "an unterminated comment";
                        return out;
                    }
                    current.append(' ');
                    i = end + 2;
                }
            } else if (c == '*' && next == '/' && inExecutable) {
                inExecutable = false;
                current.append(' ');
                i += 2;
            } else if (c == ';') {
                add(out, current);
                i++;
            } else {
                current.append(c);
                i++;
            }
        }
        if (inExecutable) {
            out.problem = "an unterminated comment";
            return out;
        }
        add(out, current);
        return out;
    }

    private static void add(Lexed out, StringBuilder statement) {
        String s = statement.toString().strip();
        if (!s.isEmpty()) {
            out.statements.add(s);
        }
        statement.setLength(0);
    }

    /** Where the quoted string or name that starts at {@code at} ends (after its closing quote), or -1. */
    private static int quotedEnd(String sql, int at, boolean escaping, Lexed out) {
        char quote = sql.charAt(at);
        int n = sql.length();
        int i = at + 1;
        while (i < n) {
            char c = sql.charAt(i);
            if (c == '\\' && quote != '`') {
                out.backslashInQuotes = true;
                if (escaping) {
                    i += 2;
                    continue;
                }
            }
            if (c == quote) {
                if (i + 1 < n && sql.charAt(i + 1) == quote) {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return -1;
    }

    /**
     * After {@code /*} at {@code at}: where the SQL of an executable comment starts ({@code !} or {@code M!} and
     * an optional version number skipped), or -1 for any other comment.
     */
    private static int executableMarker(String sql, int at) {
        int i = at;
        if (i < sql.length() && (sql.charAt(i) == 'M' || sql.charAt(i) == 'm') && i + 1 < sql.length()
                && sql.charAt(i + 1) == '!') {
            i++;
        }
        if (i >= sql.length() || sql.charAt(i) != '!') {
            return -1;
        }
        i++;
        int digits = 0;
        while (i < sql.length() && digits < 6 && Character.isDigit(sql.charAt(i))) {
            i++;
            digits++;
        }
        return i;
    }
}
