package io.mysqlproxy.core;

import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.scripting.HookOutcome;
import io.netty.channel.Channel;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Waiting for a login hook ({@code connect_server}, {@code read_handshake}, {@code read_auth},
 * {@code read_auth_result}), which runs on the connection's scripting thread: the login goes on on the client's
 * event loop once the hook decided. While one is pending, the login's packets wait in its assemblers.
 */
final class LoginHooks {
    private final ClientSession session;
    private final Channel client;
    /** Runs after every continuation of {@link #then}: the login looks at what happened while the hook ran. */
    private final Runnable afterEach;
    private boolean pending;

    LoginHooks(ClientSession session, Channel client, Runnable afterEach) {
        this.session = session;
        this.client = client;
        this.afterEach = afterEach;
    }

    /** Whether a script's answer begins with a packet whose first byte is {@code first}. */
    static boolean answerStartsWith(List<byte[]> payloads, int first) {
        return !payloads.isEmpty() && payloads.get(0).length > 0 && (payloads.get(0)[0] & 0xFF) == first;
    }

    /** A hook is running: the login reads no packet until it decided. */
    boolean pending() {
        return pending;
    }

    /**
     * The one continuation of a login hook: {@code then} runs with the hook's outcome on the client's event loop,
     * unless the session closed meanwhile ({@code onAbort} runs then, to let go of what waited for the hook).
     */
    void whenDone(CompletableFuture<HookOutcome> hook, Runnable onAbort, Consumer<HookOutcome> then) {
        pending = true;
        hook.thenAccept(outcome -> client.eventLoop().execute(() -> {
            pending = false;
            if (session.state() == SessionState.CLOSED) {
                onAbort.run();
            } else {
                then.accept(outcome);
            }
        }));
    }

    /**
     * Runs a hook, then goes on with {@code next} unless the script answered the client itself (the connection then
     * closes after that answer, with sequence id {@code answerSeq}) or failed; {@code onAbort} lets go of what
     * waited for the hook when the login does not go on.
     */
    void then(CompletableFuture<HookOutcome> hook, int answerSeq, Runnable onAbort, Consumer<HookOutcome> next) {
        whenDone(hook, onAbort, outcome -> {
            if (outcome.error() != null || outcome.action() == HookOutcome.SEND_RESULT) {
                onAbort.run();
            }
            if (outcome.error() != null) {
                session.closeWithError(answerSeq, ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_PROXY, outcome.error());
            } else if (outcome.action() == HookOutcome.SEND_RESULT) {
                session.closeAfter(PacketFramer.frameAll(client.alloc(), answerSeq, outcome.response()));
            } else {
                next.accept(outcome);
                afterEach.run();
            }
        });
    }
}
