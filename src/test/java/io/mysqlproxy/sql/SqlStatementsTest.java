package io.mysqlproxy.sql;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SqlStatementsTest {
    private static List<String> statements(String sql) {
        SqlStatements.Split split = SqlStatements.split(sql);
        assertThat(split.problem()).as(sql).isNull();
        return split.statements();
    }

    private static String problem(String sql) {
        SqlStatements.Split split = SqlStatements.split(sql);
        assertThat(split.statements()).as(sql).isEmpty();
        return split.problem();
    }

    @Test
    void splitsAtSemicolonsOutsideQuotesAndComments() {
        assertThat(statements("select 1; delete from t")).containsExactly("select 1", "delete from t");
        assertThat(statements("select ';'; select \"a;b\"; select `c;d`")).containsExactly("select ';'",
                "select \"a;b\"", "select `c;d`");
        assertThat(statements("select 'it''s; ok' ; ; select 2;")).containsExactly("select 'it''s; ok'", "select 2");
        assertThat(statements("select 1 /* ; */ + 1 -- ;\n; select 2 # ;\n")).containsExactly("select 1   + 1",
                "select 2");
        assertThat(statements("  ")).isEmpty();
    }

    @Test
    void runsTheTextOfExecutableCommentsAsTheServerDoes() {
        assertThat(statements("/*!40101 delete from t */")).containsExactly("delete from t");
        assertThat(statements("/*! drop database d */")).containsExactly("drop database d");
        assertThat(statements("/*M!100101 delete from t */")).containsExactly("delete from t");
        assertThat(statements("select 1 /*!50000 ; delete from t */")).containsExactly("select 1", "delete from t");
        assertThat(statements("select /*+ MAX_EXECUTION_TIME(1) */ 1")).containsExactly("select   1");
    }

    @Test
    void commentsEndWhereTheServersEnd() {
        // "--" starts a comment only before a blank, a control character or the end
        assertThat(statements("select 1--1; delete from t")).containsExactly("select 1--1", "delete from t");
        assertThat(statements("select 1 --\tx\n; delete from t")).containsExactly("select 1", "delete from t");
        // "#" comments end at a line feed, so what follows the line is a statement
        assertThat(statements("select 1 #'\n; delete from t")).containsExactly("select 1", "delete from t");
    }

    @Test
    void refusesWhatTheServerCouldSplitOtherwise() {
        assertThat(problem("select 'open; delete from t")).isEqualTo("an unterminated string");
        assertThat(problem("select `open")).isEqualTo("an unterminated quoted name");
        assertThat(problem("select 1 /* open")).isEqualTo("an unterminated comment");
        assertThat(problem("/*!40101 delete from t")).isEqualTo("an unterminated comment");
        assertThat(problem("/*!40101 select /*!50000 1 */ */")).isEqualTo("an executable comment inside another");
        // with NO_BACKSLASH_ESCAPES the string ends at the second quote and a DELETE follows
        assertThat(problem("select 'a\\'; delete from t; -- '"))
                .startsWith("a backslash inside quotes would split the statements differently");
        // with ANSI_QUOTES "..." is a name, in which a backslash escapes nothing
        assertThat(problem("select \"a\\\"; delete from t; -- \"")).startsWith("a backslash inside quotes");
    }

    @Test
    void aBackslashThatSplitsNothingDifferentlyIsFine() {
        assertThat(statements("select 'a\\nb', 'c\\\\'")).containsExactly("select 'a\\nb', 'c\\\\'");
    }
}
