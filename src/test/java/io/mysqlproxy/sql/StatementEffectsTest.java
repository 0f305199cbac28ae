package io.mysqlproxy.sql;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What statements do to a multiplexed session, read from tokens. */
class StatementEffectsTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "SET @a = 1 | USER_VARIABLE",
            "SELECT @a | USER_VARIABLE",
            "SELECT id INTO @a FROM t | USER_VARIABLE",
            "SELECT 1; SET @x := 2 | USER_VARIABLE",
            "create temporary table t (a int) | TEMPORARY_TABLE",
            "SELECT GET_LOCK('x', 1) | NAMED_LOCK",
            "LOCK TABLES t WRITE | TABLE_LOCK",
            "FLUSH TABLES WITH READ LOCK | TABLE_LOCK",
            "SET SESSION lock_wait_timeout = 5 | SESSION_VARIABLE",
            "SET TRANSACTION ISOLATION LEVEL READ COMMITTED | SESSION_VARIABLE",
            "SET sql_mode = 'ANSI', foreign_key_checks = 0 | SESSION_VARIABLE",
            "PREPARE s FROM 'SELECT 1' | PREPARED_STATEMENT",
            "SELECT SQL_CALC_FOUND_ROWS * FROM t LIMIT 1 | FOUND_ROWS",
            "SELECT LAST_INSERT_ID(5) | LAST_INSERT_ID",
            "SELECT CONNECTION_ID() | CONNECTION_ID",
            "CALL p() | STORED_PROCEDURE",
            "HANDLER t OPEN | HANDLER",
            "XA START 'x' | TRANSACTION",
            "/*!40101 SET @saved = @@sql_mode */ | USER_VARIABLE",
            "/*M!100101 SET @x = 1 */ | USER_VARIABLE",
            "SET time_zone = '+00:00'; SELECT 1 | SESSION_VARIABLE",
    })
    void pins(String sql, PinReason reason) {
        assertThat(StatementEffects.of(sql).pin()).isEqualTo(reason);
    }

    @Test
    void statementsHiddenFromATokenizerThatMisreadsCommentsOrQuotesPin() {
        assertThat(StatementEffects.of("SELECT 1 #'\n; SET @x = 1").pin()).isEqualTo(PinReason.USER_VARIABLE);
        // split one way with backslash escapes and another without them: not inspected, so pinned
        assertThat(StatementEffects.of("SELECT 'a\\'; SET @x = 1; -- '").pin()).isEqualTo(PinReason.UNINSPECTED);
    }

    @Test
    void onlyATextOfReplayableSetsAloneIsReplayed() {
        assertThat(StatementEffects.of("SET NAMES utf8mb4; SET time_zone = '+00:00'").replayableSet()).isTrue();
        assertThat(StatementEffects.of("SET time_zone = '+00:00'; INSERT INTO t VALUES (1)").replayableSet())
                .isFalse();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "SELECT 1", "SELECT @@sql_mode", "INSERT INTO t VALUES ('@a', 'LOCK TABLES')", "SET GLOBAL max_connections = 10",
            "SELECT * FROM t FOR UPDATE", "BEGIN", "COMMIT", "SELECT RELEASE_LOCK('x')", "-- SET @a = 1\nSELECT 2",
            "SELECT `@col` FROM t",
    })
    void doesNotPin(String sql) {
        assertThat(StatementEffects.of(sql).pin()).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "SET NAMES utf8mb4", "SET NAMES utf8mb4 COLLATE utf8mb4_general_ci", "set autocommit=1",
            "SET sql_mode = CONCAT(@@sql_mode, ',STRICT_TRANS_TABLES'), time_zone = '+00:00'",
            "SET SESSION time_zone = 'UTC'", "SET @@session.sql_mode = ''", "SET CHARACTER SET utf8",
    })
    void replayableSets(String sql) {
        StatementEffects e = StatementEffects.of(sql);
        assertThat(e.pin()).isNull();
        assertThat(e.replayableSet()).isTrue();
    }

    @Test
    void otherEffects() {
        assertThat(StatementEffects.of("USE `my db`").useDatabase()).isEqualTo("my db");
        assertThat(StatementEffects.of("SELECT LAST_INSERT_ID()").readsInsertId()).isTrue();
        assertThat(StatementEffects.of("SELECT @@identity").readsInsertId()).isTrue();
        assertThat(StatementEffects.of("SELECT FOUND_ROWS()").readsPrevious()).isTrue();
        assertThat(StatementEffects.of("SELECT ROW_COUNT()").readsPrevious()).isTrue();
        assertThat(StatementEffects.of("SELECT FOUND_ROWS()").pin()).isNull();
    }

    @Test
    void statementsWithoutTriggerWordsAreNotTokenized() {
        assertThat(StatementEffects.mayHaveEffects("SELECT c FROM sbtest1 WHERE id = 5035")).isFalse();
        assertThat(StatementEffects.mayHaveEffects("UPDATE t SET n = n + 1")).isTrue();
        assertThat(StatementEffects.mayHaveEffects("select get_lock('a', 1)")).isTrue();
        assertThat(StatementEffects.mayHaveEffects("SELECT 1 /*!40101 , 2 */")).isTrue();
        assertThat(StatementEffects.mayHaveEffects("SELECT id FROM users WHERE name = 'x'")).isFalse();
        assertThat(StatementEffects.mayHaveEffects("SELECT @@version")).isTrue();
    }
}
