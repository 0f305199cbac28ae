package io.mysqlproxy.sql;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SqlTokenizerTest {

    private static List<String> shape(String sql) {
        return SqlTokenizer.tokenize(sql).stream().map(t -> t.id().name() + ":" + t.text()).toList();
    }

    @Test
    void tokenIdsAreMySqlProxysNumbers() {
        // the ids scripts compare against, as MySQL Proxy 0.8's tests print them
        assertThat(TokenId.TK_SQL_SELECT.id()).isEqualTo(204);
        assertThat(TokenId.TK_SQL_FROM.id()).isEqualTo(105);
        assertThat(TokenId.TK_SQL_CREATE.id()).isEqualTo(59);
        assertThat(TokenId.TK_SQL_TABLE.id()).isEqualTo(222);
        assertThat(TokenId.TK_SQL_INT.id()).isEqualTo(123);
        assertThat(TokenId.TK_STRING.id()).isEqualTo(7);
        assertThat(TokenId.TK_LITERAL.id()).isEqualTo(9);
        assertThat(TokenId.values()).hasSize(263);
    }

    @Test
    void splitsAQuery() {
        assertThat(shape("SELECT a, `b c`, f(1) FROM t1 WHERE x >= 1.5 AND y <> 'it''s' -- done\n"))
                .containsExactly("TK_SQL_SELECT:SELECT", "TK_LITERAL:a", "TK_COMMA:,", "TK_LITERAL:b c",
                        "TK_COMMA:,", "TK_FUNCTION:f", "TK_OBRACE:(", "TK_INTEGER:1", "TK_CBRACE:)",
                        "TK_SQL_FROM:FROM", "TK_LITERAL:t1", "TK_SQL_WHERE:WHERE", "TK_LITERAL:x",
                        "TK_GE:>=", "TK_FLOAT:1.5", "TK_SQL_AND:AND", "TK_LITERAL:y", "TK_NE:<>",
                        "TK_STRING:it's", "TK_COMMENT:done");
    }

    @Test
    void commentsOperatorsAndOddInput() {
        assertThat(shape("/* c */ /*!40101 SET x=1 */ a:=b||c&&d !=e--f"))
                .containsExactly("TK_COMMENT: c ", "TK_COMMENT_MYSQL:40101 SET x=1 ", "TK_LITERAL:a",
                        "TK_ASSIGN::=", "TK_LITERAL:b", "TK_LOGICAL_OR:||", "TK_LITERAL:c", "TK_LOGICAL_AND:&&",
                        "TK_LITERAL:d", "TK_NE:!=", "TK_LITERAL:e", "TK_MINUS:-", "TK_MINUS:-", "TK_LITERAL:f");
        assertThat(shape("--\nselect")).containsExactly("TK_COMMENT:", "TK_SQL_SELECT:select");
        assertThat(shape("'unterminated \\' esc")).containsExactly("TK_STRING:unterminated \\' esc");
        assertThat(shape("@@session.x ? # a comment\n1")).containsExactly("TK_LITERAL:@@session", "TK_DOT:.",
                "TK_LITERAL:x", "TK_UNKNOWN:?", "TK_COMMENT: a comment", "TK_INTEGER:1");
        // as the server reads them: "--" before any control character or the end is a comment, "#" ends at a line
        assertThat(shape("1--\t'x\n2--")).containsExactly("TK_INTEGER:1", "TK_COMMENT:'x", "TK_INTEGER:2",
                "TK_COMMENT:");
        assertThat(shape("1 #'\n; 2")).containsExactly("TK_INTEGER:1", "TK_COMMENT:'", "TK_SEMICOLON:;",
                "TK_INTEGER:2");
        assertThat(shape("")).isEmpty();
    }

    @Test
    void normalizesLiteralsNamesAndKeywords() {
        assertThat(SqlNormalizer.normalize("select * from t where id = 17 and name = 'x' /* hint */"))
                .isEqualTo("SELECT * FROM `t` WHERE `id` = ? AND `name` = ? ");
        assertThat(SqlNormalizer.normalize("start transaction")).isEqualTo("START TRANSACTION ");
        assertThat(SqlNormalizer.normalize("commit")).isEqualTo("COMMIT ");
        assertThat(SqlNormalizer.normalize("select count(*), @v from t where x in (1, 2.5)"))
                .isEqualTo("SELECT COUNT( * ) , @v FROM `t` WHERE `x` IN ( ? , ? ) ");
        assertThat(SqlNormalizer.normalize("SELECT 1")).isEqualTo(SqlNormalizer.normalize("select   2"));
    }
}
