package io.mysqlproxy.backend;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Which backend with role auto takes the writes, from what health checks read of its server's read_only. */
class PrimaryElectionTest {
    private final PrimaryElection election = new PrimaryElection("default");
    private final Backend a = auto("db-a:3306");
    private final Backend b = auto("db-b:3306");
    private final Backend c = auto("db-c:3306");
    private final Backend fixed = new Backend(BackendConfig.parse("db-fixed:3306", BackendRole.READ_ONLY));
    private final List<Backend> all = List.of(fixed, a, b, c);

    @Test
    void theOneWritableServerTakesTheWritesAndAFailoverMovesThem() {
        checked(a, ServerReadOnly.OFF);
        checked(b, ServerReadOnly.ON);
        checked(c, ServerReadOnly.ON);
        election.decide(all);
        assertThat(roles()).containsExactly(BackendRole.READ_ONLY, BackendRole.READ_WRITE, BackendRole.READ_ONLY,
                BackendRole.READ_ONLY);
        assertThat(election.problem()).isNull();

        checked(a, ServerReadOnly.ON); // the failover demotes a, then promotes b
        election.decide(all);
        assertThat(election.problem()).contains("no backend with role auto is writable");
        assertThat(a.role()).isEqualTo(BackendRole.READ_ONLY);
        checked(b, ServerReadOnly.OFF);
        election.decide(all);
        assertThat(roles()).containsExactly(BackendRole.READ_ONLY, BackendRole.READ_ONLY, BackendRole.READ_WRITE,
                BackendRole.READ_ONLY);
        assertThat(election.changes()).isEqualTo(2);
        assertThat(election.problem()).isNull();
    }

    @Test
    void aSecondWritableServerIsReportedAndTheWritesStayWhereTheyAre() {
        checked(a, ServerReadOnly.OFF);
        checked(b, ServerReadOnly.ON);
        election.decide(all);
        checked(b, ServerReadOnly.OFF);
        election.decide(all);
        assertThat(a.role()).isEqualTo(BackendRole.READ_WRITE);
        assertThat(b.role()).isEqualTo(BackendRole.READ_ONLY);
        assertThat(election.problem()).contains("db-a:3306, db-b:3306").contains("writes go to db-a:3306");

        checked(a, ServerReadOnly.ON); // a is demoted: b is the only writable one now
        election.decide(all);
        assertThat(b.role()).isEqualTo(BackendRole.READ_WRITE);
        assertThat(election.problem()).isNull();
    }

    @Test
    void whenThePrimaryIsLostWhileTwoOthersAreWritableTheWritesGoNowhere() {
        checked(a, ServerReadOnly.OFF);
        election.decide(all);
        checked(a, ServerReadOnly.ON);
        checked(b, ServerReadOnly.OFF);
        checked(c, ServerReadOnly.OFF);
        election.decide(all);
        assertThat(roles()).doesNotContain(BackendRole.READ_WRITE);
        assertThat(election.problem()).contains("writes go to none of them");

        checked(c, ServerReadOnly.ON);
        election.decide(all);
        assertThat(b.role()).isEqualTo(BackendRole.READ_WRITE);
    }

    @Test
    void atStartTheFirstOfSeveralWritableServersIsTaken() {
        checked(b, ServerReadOnly.OFF);
        checked(c, ServerReadOnly.OFF);
        election.decide(all);
        assertThat(b.role()).isEqualTo(BackendRole.READ_WRITE);
        assertThat(c.role()).isEqualTo(BackendRole.READ_ONLY);
        assertThat(election.problem()).contains("db-b:3306, db-c:3306");
    }

    @Test
    void aPrimaryMarkedDownKeepsTheWritesUntilAnotherServerIsTheOnlyWritableOne() {
        checked(a, ServerReadOnly.OFF);
        checked(b, ServerReadOnly.ON);
        election.decide(all);
        a.probeFailed("connection refused", 1);
        election.decide(all);
        assertThat(a.role()).as("a restart does not move the writes").isEqualTo(BackendRole.READ_WRITE);

        checked(b, ServerReadOnly.OFF); // promoted while a is down
        election.decide(all);
        assertThat(b.role()).isEqualTo(BackendRole.READ_WRITE);
        assertThat(a.role()).isEqualTo(BackendRole.READ_ONLY);
    }

    @Test
    void backendsWithAFixedRoleAreLeftAlone() {
        fixed.readOnly(ServerReadOnly.OFF);
        election.decide(all);
        assertThat(fixed.role()).isEqualTo(BackendRole.READ_ONLY);
        assertThat(a.role()).isEqualTo(BackendRole.READ_ONLY);
        assertThat(election.problem()).contains("no backend with role auto is writable");
        assertThat(new PrimaryElection("other").problem()).isNull();
    }

    private static Backend auto(String address) {
        return new Backend(BackendConfig.parse(address, BackendRole.AUTO));
    }

    private static void checked(Backend backend, ServerReadOnly readOnly) {
        backend.readOnly(readOnly);
        backend.probeSucceeded(1_000, 1);
    }

    private List<BackendRole> roles() {
        return all.stream().map(Backend::role).toList();
    }
}
