package io.mysqlproxy.sql;

/** Character rules of the server's SQL lexer that every reader of statements here must share. */
final class SqlChars {
    private SqlChars() {
    }

    /** A blank between tokens: white space and every control character (a trailing NUL included). */
    static boolean isBlank(char c) {
        return c <= ' ' || c == 127 || Character.isWhitespace(c);
    }

    /** Whether {@code --} at {@code i} starts a comment: the server wants a blank, a control character or the end. */
    static boolean dashCommentAt(String sql, int i) {
        return i + 1 < sql.length() && sql.charAt(i) == '-' && sql.charAt(i + 1) == '-'
                && (i + 2 >= sql.length() || sql.charAt(i + 2) <= ' ' || sql.charAt(i + 2) == 127);
    }
}
