package io.mysqlproxy.sql;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StatementDigestTest {
    @Test
    void literalsBecomePlaceholders() {
        assertThat(StatementDigest.of("SELECT c FROM sbtest1 WHERE id=4711")).isEqualTo("SELECT c FROM sbtest1 WHERE id=?");
        assertThat(StatementDigest.of("INSERT INTO t VALUES ('it''s', \"a\\\"b\", -1.5e-3, 0xFF, .5)"))
                .isEqualTo("INSERT INTO t VALUES (?, ?, -?, ?, ?)");
        assertThat(StatementDigest.of("SELECT col_2, t1.x FROM t1")).isEqualTo("SELECT col_2, t1.x FROM t1");
    }

    @Test
    void commentsAndBlanksGoButVersionCommentsStay() {
        assertThat(StatementDigest.of("  SELECT /* hint */ 1 -- trailing\n FROM  dual # more\n"))
                .isEqualTo("SELECT ? FROM dual");
        assertThat(StatementDigest.of("SELECT /*!50000 SQL_NO_CACHE */ a FROM t"))
                .isEqualTo("SELECT /*!50000 SQL_NO_CACHE */ a FROM t");
        assertThat(StatementDigest.of("SELECT 5--3")).isEqualTo("SELECT ?--?"); // "--" needs a blank to start a comment
    }

    @Test
    void quotedIdentifiersStayAndUnterminatedTextEnds() {
        assertThat(StatementDigest.of("SELECT `weird 1` FROM `db`.`t` WHERE a = 'unterminated"))
                .isEqualTo("SELECT `weird 1` FROM `db`.`t` WHERE a = ?");
        assertThat(StatementDigest.of("")).isEmpty();
    }
}
