package io.mysqlproxy.sql;

import java.util.List;
import java.util.Locale;

/**
 * MySQL Proxy's query normalisation, used to group queries by shape: comments dropped, literals replaced by
 * {@code ?}, names backticked, keywords upper-cased; {@code /*!...*}{@code /} comments are kept because their
 * meaning depends on the server. {@code COMMIT}, {@code ROLLBACK}, {@code BEGIN} and {@code START TRANSACTION} at
 * the start of a statement stay keywords although the tokenizer sees them as names.
 */
public final class SqlNormalizer {
    private SqlNormalizer() {
    }

    public static String normalize(String sql) {
        return normalize(SqlTokenizer.tokenize(sql));
    }

    public static String normalize(List<SqlToken> tokens) {
        StringBuilder out = new StringBuilder();
        int emitted = 0;
        String firstWord = null;
        for (SqlToken t : tokens) {
            switch (t.id()) {
                case TK_COMMENT -> {
                    continue;
                }
                case TK_COMMENT_MYSQL -> out.append("/*!").append(t.text()).append("*/ ");
                case TK_LITERAL -> {
                    String upper = t.text().toUpperCase(Locale.ROOT);
                    if (t.text().startsWith("@")) {
                        out.append(t.text()).append(' ');
                    } else if (emitted == 0 && isTransactionWord(upper)) {
                        out.append(upper).append(' ');
                        firstWord = upper;
                    } else if (emitted == 1 && "START".equals(firstWord) && "TRANSACTION".equals(upper)) {
                        out.append(upper).append(' ');
                    } else {
                        out.append('`').append(t.text()).append("` ");
                    }
                }
                case TK_STRING, TK_INTEGER, TK_FLOAT -> out.append("? ");
                case TK_FUNCTION -> out.append(t.text().toUpperCase(Locale.ROOT));
                default -> out.append(t.text().toUpperCase(Locale.ROOT)).append(' ');
            }
            emitted++;
        }
        return out.toString();
    }

    private static boolean isTransactionWord(String upper) {
        return upper.equals("COMMIT") || upper.equals("ROLLBACK") || upper.equals("BEGIN") || upper.equals("START");
    }
}
