package io.mysqlproxy.sql;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TableQueryTest {
    private static final TableQuery.Rows PEOPLE = new TableQuery.Rows(List.of("id", "name", "age"), List.of(
            Arrays.asList(1L, "Ann", 31L), Arrays.asList(2L, "bob", null), Arrays.asList(3L, "Cy_d", 9L),
            Arrays.asList(4L, "dee", 31L)));

    private static List<List<Object>> run(String sql) {
        return TableQuery.parse(sql).run(PEOPLE).rows();
    }

    @Test
    void selectsFiltersSortsAndPages() {
        assertThat(run("SELECT name FROM people WHERE age >= 31 ORDER BY name DESC"))
                .containsExactly(List.of("dee"), List.of("Ann"));
        assertThat(run("select id from people order by age, id desc")).extracting(r -> r.get(0))
                .containsExactly(2L, 3L, 4L, 1L); // NULL first, as MySQL sorts ascending
        assertThat(run("SELECT id FROM people WHERE name = 'ANN' OR name LIKE 'cy\\\\_%'"))
                .containsExactly(List.of(1L), List.of(3L));
        assertThat(run("SELECT id FROM people WHERE NOT age > 10 AND age IS NOT NULL")).containsExactly(List.of(3L));
        assertThat(run("SELECT id FROM people WHERE age NOT IN (31) OR age IS NULL ORDER BY id"))
                .containsExactly(List.of(2L), List.of(3L));
        assertThat(run("SELECT id FROM people WHERE id <> 1 LIMIT 1, 1")).containsExactly(List.of(3L));
        assertThat(run("SELECT id FROM people WHERE age = '31' AND id > -1 ORDER BY 1 LIMIT 5 OFFSET 1"))
                .containsExactly(List.of(4L));
        assertThat(TableQuery.parse("SELECT COUNT(*) FROM people WHERE age < 40").run(PEOPLE))
                .isEqualTo(new TableQuery.Rows(List.of("COUNT(*)"), List.of(List.of(3L))));
        assertThat(TableQuery.parse("SELECT `name` AS who FROM people LIMIT 1").run(PEOPLE).columns())
                .containsExactly("who");
    }

    @Test
    void refusalsCarryTheServersErrorCodes() {
        assertThatThrownBy(() -> run("SELECT x FROM people")).isInstanceOfSatisfying(TableQuery.Refused.class,
                e -> assertThat(e.code()).isEqualTo(1054));
        assertThatThrownBy(() -> run("SELECT id FROM people ORDER BY 9")).isInstanceOfSatisfying(
                TableQuery.Refused.class, e -> assertThat(e.code()).isEqualTo(1054));
        for (String bad : new String[] {"SELECT FROM people", "SELECT id people", "SELECT id FROM people WHERE",
                "SELECT id FROM people LIMIT x", "SELECT id FROM people extra", "UPDATE people SET id = 1",
                "SELECT id FROM people WHERE id NOT = 1"}) {
            assertThatThrownBy(() -> run(bad)).as(bad).isInstanceOfSatisfying(TableQuery.Refused.class,
                    e -> assertThat(e.code()).isEqualTo(1064));
        }
    }
}
