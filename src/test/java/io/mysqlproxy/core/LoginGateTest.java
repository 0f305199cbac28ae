package io.mysqlproxy.core;

import io.mysqlproxy.config.LoginAdmission;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A listener's logins in progress: bounded, clients beyond wait their turn or are refused at their timeout. */
class LoginGateTest {
    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final List<String> events = new ArrayList<>();
    private final List<LoginGate.Slot> slots = new ArrayList<>();

    LoginGateTest() {
        loop.freezeTime(); // time moves only as the test says: real time passing must not bring a deadline closer
    }

    private LoginGate.Waiter enter(LoginGate gate, String client) {
        return gate.enter(loop.eventLoop(), slot -> {
            events.add(client + " logs in");
            slots.add(slot);
        }, () -> events.add(client + " refused"));
    }

    @Test
    void beyondTheBoundAClientWaitsForTheFirstLoginToEndAndGivingASlotBackTwiceCountsOnce() {
        LoginGate gate = new LoginGate(new LoginAdmission(2, 1_000));
        assertThat(enter(gate, "a")).isNull();
        assertThat(enter(gate, "b")).isNull();
        assertThat(enter(gate, "c")).isNotNull();
        assertThat(events).containsExactly("a logs in", "b logs in");
        assertThat(gate.waiting()).isEqualTo(1);

        slots.get(0).release();
        slots.get(0).release();
        loop.runPendingTasks();
        assertThat(events).containsExactly("a logs in", "b logs in", "c logs in");
        assertThat(gate.inProgress()).isEqualTo(2);
        assertThat(gate.waiting()).isZero();

        loop.advanceTimeBy(2, TimeUnit.SECONDS);
        loop.runScheduledPendingTasks();
        assertThat(events).as("a client that got its slot is not refused later").doesNotContain("c refused");
        slots.forEach(LoginGate.Slot::release);
        assertThat(gate.inProgress()).isZero();
    }

    @Test
    void aClientStillWaitingAtItsTimeoutIsRefusedAndOneThatLeftGivesUpItsPlace() {
        LoginGate gate = new LoginGate(new LoginAdmission(1, 500));
        enter(gate, "a");
        LoginGate.Waiter gone = enter(gate, "b");
        enter(gate, "c");
        gone.cancel();
        loop.advanceTimeBy(499, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
        assertThat(events).containsExactly("a logs in");
        loop.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
        assertThat(events).containsExactly("a logs in", "c refused");
        assertThat(gate.waiting()).isZero();

        slots.get(0).release();
        loop.runPendingTasks();
        assertThat(gate.inProgress()).as("nobody waits: the slot is free").isZero();
        assertThat(events).doesNotContain("b logs in", "c logs in");
    }

    @Test
    void withoutAQueueAClientBeyondTheBoundIsRefusedAtOnceAndNewLimitsApplyToTheNextClient() {
        LoginGate gate = new LoginGate(new LoginAdmission(1, 0));
        enter(gate, "a");
        assertThat(enter(gate, "b")).isNull();
        assertThat(events).containsExactly("a logs in", "b refused");
        gate.reconfigure(new LoginAdmission(2, 0));
        enter(gate, "c");
        assertThat(events).containsExactly("a logs in", "b refused", "c logs in");
    }

    @Test
    void theDefaultBoundFollowsTheDescriptorLimit() {
        assertThat(LoginAdmission.auto(1_024).maxLogins()).isEqualTo(96);
        assertThat(LoginAdmission.auto(300).maxLogins()).isEqualTo(16);
        assertThat(LoginAdmission.auto(1 << 20).maxLogins()).isEqualTo(256);
        assertThat(LoginAdmission.auto(1_024).queueTimeoutMillis()).isEqualTo(1_000);
    }
}
