package io.mysqlproxy.sql;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CommitRiskTest {
    @Test
    void commitsAndStatementsThatCommitImplicitlyMayCommit() {
        for (String sql : new String[] {"COMMIT", " commit work", "/* app */ COMMIT", "XA COMMIT 'x'",
            "CREATE TABLE t AS SELECT 1", "alter table t add c int", "DROP TABLE t", "TRUNCATE t", "LOCK TABLES t WRITE",
            "SET autocommit = 1", "SET @@session.autocommit=1", "BEGIN", "START TRANSACTION", "CALL p()",
            "/*!40101 COMMIT */", "UPDATE t SET a = 1; COMMIT", "SELECT 'unclosed"}) {
            assertThat(CommitRisk.mayCommit(sql)).as(sql).isTrue();
        }
    }

    @Test
    void readsAndWritesInsideTheTransactionDoNot() {
        for (String sql : new String[] {"SELECT 1", "UPDATE t SET n = n + 1", "INSERT INTO t VALUES (1)",
            "DELETE FROM t", "SET @x = 1", "SET NAMES utf8mb4", "SELECT * FROM t FOR UPDATE", "ROLLBACK",
            "SAVEPOINT s", "-- comment\nSELECT 'COMMIT'"}) {
            assertThat(CommitRisk.mayCommit(sql)).as(sql).isFalse();
        }
    }
}
