package io.mysqlproxy.core;

import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.scripting.InjectionRequest;
import io.netty.channel.Channel;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;

/**
 * A client's command while a script handles it: the injected statements still to run for it, whether the client has
 * its one result yet, and whether the script asked to close the connection after it. The client's result follows
 * the command's last packet ({@link #lastSeq}).
 */
final class ScriptedCommand {
    /** The sequence id of the command's last packet. */
    final int lastSeq;
    private final ArrayDeque<InjectionRequest> injections = new ArrayDeque<>();
    private boolean answered;
    private boolean closeAfter;

    ScriptedCommand(int lastSeq) {
        this.lastSeq = lastSeq;
    }

    /** From now on these run for the command, in order (the ones the script named before are dropped). */
    void inject(Collection<InjectionRequest> requests) {
        injections.clear();
        injections.addAll(requests);
    }

    /** The next statement to send, or null when none is left. */
    InjectionRequest nextInjection() {
        return injections.pollFirst();
    }

    /** What the script still has queued, as {@code read_query_result} shows it. */
    List<InjectionRequest> remaining() {
        return List.copyOf(injections);
    }

    void dropInjections() {
        injections.clear();
    }

    /** Whether the client got its result (what a server sent, or the proxy's, or the script's). */
    boolean answered() {
        return answered;
    }

    /** Part of the result reached the client, or the command expects none. */
    void answeredByServer() {
        answered = true;
    }

    /** The client's result is {@code payloads}, framed after the command. */
    void answer(Channel client, List<byte[]> payloads) {
        client.writeAndFlush(PacketFramer.frameAll(client.alloc(), lastSeq + 1, payloads));
        answered = true;
    }

    /** The client's result is an error of the proxy's. */
    void fail(Channel client, String message) {
        client.writeAndFlush(ErrorPackets.encode(client.alloc(), lastSeq + 1, ErrorCodes.UNKNOWN_ERROR,
                ErrorCodes.STATE_GENERAL, message));
        answered = true;
    }

    /** A hook asked to close the connection once the command is answered; a later hook cannot take it back. */
    void closeAfter(boolean close) {
        closeAfter |= close;
    }

    boolean closesSession() {
        return closeAfter;
    }
}
