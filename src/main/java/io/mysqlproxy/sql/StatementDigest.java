package io.mysqlproxy.sql;

/**
 * The shape of a statement for query digests, in one pass over its characters and without tokens, because it
 * runs for every statement on the relay path: literals (strings, numbers) become {@code ?}, comments go (but
 * {@code /*!...*}{@code /} stays, its meaning depends on the server), runs of blanks become one space. Words keep
 * their case and identifiers their quoting, so the text stays the statement a reader recognises.
 */
public final class StatementDigest {
    private StatementDigest() {
    }

    public static String of(String sql) {
        int n = sql.length();
        // room for the spaces the digest puts around operators ("id=1" becomes "id = ?") without growing
        StringBuilder out = new StringBuilder(Math.min(n, 256) + 16);
        boolean space = false;
        int i = 0;
        while (i < n) {
            char c = sql.charAt(i);
            if (SqlChars.isBlank(c)) {
                space = out.length() > 0;
                i++;
                continue;
            }
            if (c == '#' || SqlChars.dashCommentAt(sql, i)) {
                while (i < n && sql.charAt(i) != '\n') {
                    i++;
                }
                space = out.length() > 0;
                continue;
            }
            if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int end = sql.indexOf("*/", i + 2);
                int stop = end < 0 ? n : end + 2;
                if (i + 2 < n && sql.charAt(i + 2) == '!') {
                    separate(out, space);
                    out.append(sql, i, stop);
                    space = false;
                } else {
                    space = out.length() > 0;
                }
                i = stop;
                continue;
            }
            separate(out, space);
            space = false;
            if (c == '\'' || c == '"') {
                i = skipQuoted(sql, i, c);
                out.append('?');
            } else if (c == '`') {
                int end = skipQuoted(sql, i, '`');
                out.append(sql, i, end);
                i = end;
            } else if (isDigit(c) || c == '.' && i + 1 < n && isDigit(sql.charAt(i + 1))) {
                if (out.length() > 0 && isWordChar(out.charAt(out.length() - 1))) {
                    out.append(c); // a digit inside a name (t1, col_2)
                    i++;
                } else {
                    i = skipNumber(sql, i);
                    out.append('?');
                }
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static void separate(StringBuilder out, boolean space) {
        if (space && out.length() > 0) {
            out.append(' ');
        }
    }

    private static int skipQuoted(CharSequence s, int start, char quote) {
        int i = start + 1;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c == '\\' && quote != '`') {
                i += 2;
            } else if (c == quote) {
                if (i + 1 < n && s.charAt(i + 1) == quote) {
                    i += 2; // a doubled quote inside the literal
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        return n;
    }

    private static int skipNumber(CharSequence s, int start) {
        int i = start;
        int n = s.length();
        if (s.charAt(i) == '0' && i + 1 < n && (s.charAt(i + 1) == 'x' || s.charAt(i + 1) == 'X')) {
            i += 2;
            while (i < n && Character.digit(s.charAt(i), 16) >= 0) {
                i++;
            }
            return i;
        }
        while (i < n && (isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
            i++;
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            int j = i + 1;
            if (j < n && (s.charAt(j) == '+' || s.charAt(j) == '-')) {
                j++;
            }
            if (j < n && isDigit(s.charAt(j))) {
                i = j;
                while (i < n && isDigit(s.charAt(i))) {
                    i++;
                }
            }
        }
        return i;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }
}
