package io.mysqlproxy.sql;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class ReplicaReadsTest {
    @ParameterizedTest
    @ValueSource(strings = {"SELECT c FROM sbtest1 WHERE id=1", "select 1", "  SELECT 1;", "SELECT 1 ;  ; ",
        "(SELECT a FROM t) UNION (SELECT b FROM u)", "/* ORM hint */ SELECT * FROM t", "-- note\nSELECT 1",
        "# note\nSELECT 1", "WITH x AS (SELECT 1) SELECT * FROM x", "SELECT*FROM t", "SELECT forward FROM t",
        "SELECT c FROM t WHERE lockstep = 1 AND intonation > 2"})
    void readsAReplicaCanServe(String sql) {
        assertThat(ReplicaReads.replicaSafe(sql)).as(sql).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"INSERT INTO t VALUES (1)", "UPDATE t SET a = 1", "SHOW TABLES", "SET NAMES utf8mb4",
        "SELECT * FROM t FOR UPDATE", "select * from t for share", "SELECT * FROM t LOCK IN SHARE MODE",
        "SELECT * FROM t /*!40101 FOR UPDATE */", "/*!40101 SELECT 1 */", "/*M!100000 SELECT 1 */",
        "SELECT a INTO OUTFILE '/tmp/x' FROM t", "SELECT 1; INSERT INTO t VALUES (1)", "SELECT NEXTVAL(s)",
        "SELECT NEXT VALUE FOR s", "SELECT LASTVAL(s)", "WITH x AS (SELECT 1) UPDATE t SET a = 1",
        "WITH x AS (SELECT 1) DELETE FROM t", "/* never closed SELECT 1", "-- only a comment", "", "   ",
        // a write word in a string is a false alarm on the safe side
        "SELECT c FROM t WHERE name = 'update me'", "CALL p()", "DO SLEEP(1)", "EXPLAIN SELECT 1",
        "(INSERT INTO t VALUES (1))"})
    void everythingElseGoesToThePrimary(String sql) {
        assertThat(ReplicaReads.replicaSafe(sql)).as(sql).isFalse();
    }
}
