package io.mysqlproxy.sql;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits SQL into MySQL Proxy 0.8's tokens, with its rules: comments keep their inner text ({@code /*!...}
 * comments are {@link TokenId#TK_COMMENT_MYSQL}); quoted strings lose their quotes and doubled quotes collapse while
 * backslash escapes are kept as written; backticked names are literals; a word directly followed by {@code (} is a
 * function; keywords match in any case. Comments start where the server's do: {@code #} and {@code --} before a
 * blank, a control character or the end (where the two disagree, a statement can hide from a script). It never
 * fails: anything it does not know is a {@link TokenId#TK_UNKNOWN} character. Splitting a text into statements is
 * {@link SqlStatements}'s job.
 */
public final class SqlTokenizer {
    private SqlTokenizer() {
    }

    public static List<SqlToken> tokenize(String sql) {
        List<SqlToken> out = new ArrayList<>();
        int n = sql.length();
        int i = 0;
        while (i < n) {
            char c = sql.charAt(i);
            if (SqlChars.isBlank(c)) {
                i++;
            } else if (SqlChars.dashCommentAt(sql, i)) {
                i = lineComment(sql, i, i + 2, i + 3, out);
            } else if (c == '#') {
                i = lineComment(sql, i, i + 1, i + 1, out);
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                i = blockComment(sql, i, out);
            } else if (c == '\'' || c == '"' || c == '`') {
                i = quoted(sql, i, out);
            } else if (isWordStart(c)) {
                int end = i + 1;
                while (end < n && isWordPart(sql.charAt(end))) {
                    end++;
                }
                String word = sql.substring(i, end);
                if (end < n && sql.charAt(end) == '(') {
                    out.add(new SqlToken(TokenId.TK_FUNCTION, word, i, end));
                } else {
                    out.add(new SqlToken(TokenId.forWord(word), word, i, end));
                }
                i = end;
            } else if (isDigit(c) || c == '.' && i + 1 < n && isDigit(sql.charAt(i + 1))) {
                i = number(sql, i, out);
            } else {
                i = operator(sql, i, out);
            }
        }
        return out;
    }

    /**
     * A comment from {@code at} to the end of the line, whose text starts at {@code textFrom} (after the blank that
     * follows {@code --}) and leaves out the line end.
     */
    private static int lineComment(String sql, int start, int at, int textFrom, List<SqlToken> out) {
        int end = sql.indexOf('\n', at);
        int stop = end < 0 ? sql.length() : end;
        int from = Math.min(textFrom, stop);
        int textEnd = Math.max(from, stop > from && sql.charAt(stop - 1) == '\r' ? stop - 1 : stop);
        int next = end < 0 ? sql.length() : end + 1;
        out.add(new SqlToken(TokenId.TK_COMMENT, sql.substring(from, textEnd), start, next));
        return next;
    }

    private static int blockComment(String sql, int start, List<SqlToken> out) {
        int at = start + 2;
        TokenId id = TokenId.TK_COMMENT;
        if (at < sql.length() && sql.charAt(at) == '!') {
            id = TokenId.TK_COMMENT_MYSQL;
            at++;
        }
        int end = sql.indexOf("*/", at);
        int next = end < 0 ? sql.length() : end + 2;
        out.add(new SqlToken(id, sql.substring(at, end < 0 ? sql.length() : end), start, next));
        return next;
    }

    private static int quoted(String sql, int at, List<SqlToken> out) {
        char quote = sql.charAt(at);
        StringBuilder text = new StringBuilder();
        int i = at + 1;
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            if (c == '\\' && i + 1 < n) {
                text.append(c).append(sql.charAt(i + 1));
                i += 2;
            } else if (c == quote) {
                if (i + 1 < n && sql.charAt(i + 1) == quote) {
                    text.append(quote);
                    i += 2;
                } else {
                    i++;
                    break;
                }
            } else {
                text.append(c);
                i++;
            }
        }
        out.add(new SqlToken(quote == '`' ? TokenId.TK_LITERAL : TokenId.TK_STRING, text.toString(), at, i));
        return i;
    }

    private static int number(String sql, int at, List<SqlToken> out) {
        int n = sql.length();
        int i = at;
        while (i < n && isDigit(sql.charAt(i))) {
            i++;
        }
        if (i + 1 < n && sql.charAt(i) == '.' && isDigit(sql.charAt(i + 1))) {
            i++;
            while (i < n && isDigit(sql.charAt(i))) {
                i++;
            }
            out.add(new SqlToken(TokenId.TK_FLOAT, sql.substring(at, i), at, i));
        } else {
            out.add(new SqlToken(TokenId.TK_INTEGER, sql.substring(at, i), at, i));
        }
        return i;
    }

    private static int operator(String sql, int at, List<SqlToken> out) {
        char c = sql.charAt(at);
        char next = at + 1 < sql.length() ? sql.charAt(at + 1) : 0;
        TokenId two = switch (c) {
            case '<' -> next == '=' ? TokenId.TK_LE : next == '>' ? TokenId.TK_NE : null;
            case '>' -> next == '=' ? TokenId.TK_GE : null;
            case '!' -> next == '=' ? TokenId.TK_NE : null;
            case ':' -> next == '=' ? TokenId.TK_ASSIGN : null;
            case '&' -> next == '&' ? TokenId.TK_LOGICAL_AND : null;
            case '|' -> next == '|' ? TokenId.TK_LOGICAL_OR : null;
            default -> null;
        };
        if (two != null) {
            out.add(new SqlToken(two, sql.substring(at, at + 2), at, at + 2));
            return at + 2;
        }
        TokenId one = switch (c) {
            case '<' -> TokenId.TK_LT;
            case '>' -> TokenId.TK_GT;
            case '=' -> TokenId.TK_EQ;
            case '(' -> TokenId.TK_OBRACE;
            case ')' -> TokenId.TK_CBRACE;
            case ';' -> TokenId.TK_SEMICOLON;
            case ',' -> TokenId.TK_COMMA;
            case '.' -> TokenId.TK_DOT;
            case '*' -> TokenId.TK_STAR;
            case '+' -> TokenId.TK_PLUS;
            case '-' -> TokenId.TK_MINUS;
            case '/' -> TokenId.TK_DIV;
            case '&' -> TokenId.TK_BITWISE_AND;
            case '|' -> TokenId.TK_BITWISE_OR;
            case '^' -> TokenId.TK_BITWISE_XOR;
            default -> TokenId.TK_UNKNOWN;
        };
        int len = Character.isHighSurrogate(c) && at + 1 < sql.length() ? 2 : 1;
        out.add(new SqlToken(one, sql.substring(at, at + len), at, at + len));
        return at + len;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** Letters of any script, so that UTF-8 names stay one word (the original was ASCII-only). */
    private static boolean isWordStart(char c) {
        return Character.isLetter(c) || c == '_' || c == '@';
    }

    private static boolean isWordPart(char c) {
        return isWordStart(c) || isDigit(c);
    }
}
