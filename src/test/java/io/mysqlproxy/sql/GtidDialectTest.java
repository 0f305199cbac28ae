package io.mysqlproxy.sql;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GtidDialectTest {
    @Test
    void theServerInTheGreetingPicksTheStatements() {
        assertThat(GtidDialect.of("5.5.5-10.11.6-MariaDB-0+deb12u1")).isEqualTo(GtidDialect.MARIADB);
        assertThat(GtidDialect.of("11.4.2-MariaDB")).isEqualTo(GtidDialect.MARIADB);
        assertThat(GtidDialect.of("8.0.36")).isEqualTo(GtidDialect.MYSQL);
        assertThat(GtidDialect.MARIADB.waitQuery("0-1-42,1-2-7", 1_500))
                .isEqualTo("SELECT MASTER_GTID_WAIT('0-1-42,1-2-7', 1.5)");
        assertThat(GtidDialect.MYSQL.waitQuery("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,\n"
                + "4e11fa47-71ca-11e1-9e33-c80aa9429562:1-9", 0))
                .isEqualTo("SELECT WAIT_FOR_EXECUTED_GTID_SET('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,"
                        + "4e11fa47-71ca-11e1-9e33-c80aa9429562:1-9', 0.0)");
        assertThat(GtidDialect.MARIADB.reached("0")).isTrue();
        assertThat(GtidDialect.MARIADB.reached("-1")).isFalse();
        assertThat(GtidDialect.MYSQL.reached("1")).isFalse();
    }

    @Test
    void aPositionThatIsNoneNeverBecomesAStatement() {
        assertThat(GtidDialect.MARIADB.waitQuery("0-1-1'); DROP TABLE t; --", 1_000)).isNull();
        assertThat(GtidDialect.MARIADB.waitQuery(null, 1_000)).isNull();
    }
}
