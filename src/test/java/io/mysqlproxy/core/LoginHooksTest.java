package io.mysqlproxy.core;

import io.mysqlproxy.core.EmbeddedSession.Frame;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.scripting.HookOutcome;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.mysqlproxy.core.EmbeddedSession.error;
import static io.mysqlproxy.core.EmbeddedSession.onlyWritten;
import static io.mysqlproxy.core.EmbeddedSession.written;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A login hook that answers late: the login goes on only once the client's event loop runs the continuation, and
 * does not go on at all when the client left meanwhile. (The hooks themselves run on Lua threads; here the test
 * completes them.)
 */
class LoginHooksTest {
    static final HookOutcome NO_DECISION = new HookOutcome(HookOutcome.NO_DECISION, List.of(), List.of(), null,
            false, false);

    final List<String> steps = new ArrayList<>();

    @Test
    void aLateAnswerIsFollowedOnTheClientsLoopThenTheLoginLooksAtWhatHappenedMeanwhile() {
        try (EmbeddedSession s = EmbeddedSession.connect("db1:3306")) {
            CompletableFuture<HookOutcome> hook = new CompletableFuture<>();
            LoginHooks hooks = waitingFor(s, hook);
            s.client.runPendingTasks();
            assertThat(hooks.pending()).as("packets wait while the hook runs").isTrue();
            assertThat(steps).isEmpty();

            hook.complete(NO_DECISION); // on the scripting thread, in the proxy
            assertThat(steps).as("nothing happens off the client's loop").isEmpty();
            s.client.runPendingTasks();
            assertThat(steps).containsExactly("next", "after");
            assertThat(hooks.pending()).isFalse();
        }
    }

    @Test
    void anAnswerArrivingAfterTheClientLeftOnlyLetsGoOfWhatWaitedForIt() {
        try (EmbeddedSession s = EmbeddedSession.connect("db1:3306")) {
            CompletableFuture<HookOutcome> hook = new CompletableFuture<>();
            waitingFor(s, hook);
            s.client.close();
            assertThat(s.session.state()).isEqualTo(SessionState.CLOSED);

            hook.complete(NO_DECISION);
            s.runPendingTasks();
            assertThat(steps).containsExactly("abort");
        }
    }

    @Test
    void aScriptThatAnswersTheLoginItselfEndsTheSessionWithItsAnswer() {
        try (EmbeddedSession s = EmbeddedSession.connect("db1:3306")) {
            CompletableFuture<HookOutcome> hook = new CompletableFuture<>();
            waitingFor(s, hook);
            byte[] refusal = error(1045, "28000", "Access denied by the script");

            hook.complete(new HookOutcome(HookOutcome.SEND_RESULT, List.of(), List.of(refusal), null, false, false));
            s.client.runPendingTasks();
            Frame answer = onlyWritten(s.client);
            assertThat(answer.seq()).isEqualTo(2);
            assertThat(answer.payload()).isEqualTo(refusal);
            assertThat(steps).containsExactly("abort");
            assertThat(s.session.state()).isEqualTo(SessionState.CLOSED);
        }
    }

    @Test
    void aHookThatFailsEndsTheLoginWithAnErrorTheClientCanRead() {
        try (EmbeddedSession s = EmbeddedSession.connect("db1:3306")) {
            CompletableFuture<HookOutcome> hook = new CompletableFuture<>();
            waitingFor(s, hook);
            written(s.client);

            hook.complete(HookOutcome.failed("read_auth: attempt to index a nil value", false));
            s.client.runPendingTasks();
            Frame answer = onlyWritten(s.client);
            assertThat(answer.seq()).isEqualTo(2);
            assertThat(answer.error().errorCode()).isEqualTo(ErrorCodes.UNKNOWN_ERROR);
            assertThat(answer.error().message()).contains("attempt to index a nil value");
            assertThat(steps).containsExactly("abort");
        }
    }

    /** A login of {@code s} waiting for {@code hook}, answering with sequence id 2; {@link #steps} says what ran. */
    private LoginHooks waitingFor(EmbeddedSession s, CompletableFuture<HookOutcome> hook) {
        LoginHooks hooks = new LoginHooks(s.session, s.client, () -> steps.add("after"));
        hooks.then(hook, 2, () -> steps.add("abort"), outcome -> steps.add("next"));
        return hooks;
    }
}
