package io.mysqlproxy.scripting;

import java.util.List;

/**
 * What a hook decided, in Java terms the event loop can act on.
 *
 * @param action  one of the {@code PROXY_*} constants, or 0 for no decision
 * @param queries the commands to send (PROXY_SEND_QUERY), or what is left to send after read_query_result
 * @param response the payloads to answer with (PROXY_SEND_RESULT), already encoded
 * @param error   a script error to report to the client instead, or null
 * @param fatal   the script could not even run for this connection: report and close
 * @param close   the script asked to close the connection after this result ({@code connection_close})
 * @param backendNdx the backend the script picked ({@code proxy.connection.backend_ndx}, 1-based), or
 *                   {@link #UNCHANGED}
 * @param extraBackendNdx the second backend the script wants this connection logged into
 *                   ({@code proxy.connection.extra_backend_ndx}), or {@link #UNCHANGED}
 * @param pin     what the script wrote to {@code proxy.connection.pinned} (pin, or lift its pin), or null
 */
public record HookOutcome(int action, List<InjectionRequest> queries, List<byte[]> response, String error,
                          boolean fatal, boolean close, int backendNdx, int extraBackendNdx, Boolean pin) {
    public HookOutcome(int action, List<InjectionRequest> queries, List<byte[]> response, String error,
                       boolean fatal, boolean close) {
        this(action, queries, response, error, fatal, close, UNCHANGED, UNCHANGED, null);
    }

    /** The script did not write the backend index. */
    public static final int UNCHANGED = -1;

    public static final int NO_DECISION = 0;
    public static final int SEND_QUERY = 1;
    public static final int SEND_RESULT = 2;
    public static final int IGNORE_RESULT = 4;

    public static HookOutcome failed(String error, boolean fatal) {
        return new HookOutcome(NO_DECISION, List.of(), List.of(), error, fatal, false);
    }

    /** The same decision, with the backend choices and the pin the script wrote during the hook. */
    public HookOutcome withPicks(int backend, int extraBackend, Boolean pinned) {
        return new HookOutcome(action, queries, response, error, fatal, close, backend, extraBackend, pinned);
    }
}
