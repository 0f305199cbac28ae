package io.mysqlproxy.sql;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Whether a statement may commit the transaction it runs in: {@code COMMIT}, and the statements that commit
 * implicitly (DDL, {@code LOCK TABLES}, {@code SET autocommit}, a new {@code BEGIN}, ...). When the connection is
 * lost while one of them runs, whether the transaction was committed is unknown, so running it again elsewhere could
 * apply it twice. Read from the first word; an executable comment, a procedure call or several statements count as
 * a commit (when in doubt, it may have committed).
 */
public final class CommitRisk {
    private static final Set<String> COMMITTING = Set.of("COMMIT", "XA", "CREATE", "ALTER", "DROP", "TRUNCATE",
            "RENAME", "LOCK", "UNLOCK", "GRANT", "REVOKE", "FLUSH", "ANALYZE", "OPTIMIZE", "REPAIR", "INSTALL",
            "UNINSTALL", "BEGIN", "START", "CALL", "LOAD", "RESET", "PURGE", "CACHE", "CHANGE");

    private CommitRisk() {
    }

    public static boolean mayCommit(String sql) {
        SqlStatements.Split split = SqlStatements.split(sql);
        if (!split.certain() || split.statements().size() != 1) {
            return !split.certain() || split.statements().size() > 1;
        }
        List<SqlToken> tokens = SqlTokenizer.tokenize(split.statements().get(0));
        for (int i = 0; i < tokens.size(); i++) {
            SqlToken t = tokens.get(i);
            if (t.id() == TokenId.TK_COMMENT) {
                continue;
            }
            if (t.id() == TokenId.TK_COMMENT_MYSQL) {
                return true;
            }
            String word = t.text().toUpperCase(Locale.ROOT);
            if (word.equals("SET")) {
                return mentionsAutocommit(tokens, i + 1);
            }
            return COMMITTING.contains(word);
        }
        return false;
    }

    private static boolean mentionsAutocommit(List<SqlToken> tokens, int from) {
        for (int i = from; i < tokens.size(); i++) {
            if (tokens.get(i).text().toLowerCase(Locale.ROOT).contains("autocommit")) {
                return true;
            }
        }
        return false;
    }
}
