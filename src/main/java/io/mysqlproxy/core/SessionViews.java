package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.HandshakeV10;
import io.mysqlproxy.scripting.ConnectionInfo;
import io.mysqlproxy.sql.PinReason;
import io.netty.channel.Channel;

import java.net.InetSocketAddress;
import java.util.Locale;

/** What a session shows of itself outside the core: to scripts ({@code proxy.connection}) and to the admin. */
final class SessionViews {
    private SessionViews() {
    }

    /** A snapshot of the connection for a hook call. */
    static ConnectionInfo forHooks(ClientSession session) {
        Listener listener = session.listener();
        SessionLinks links = session.links();
        Channel client = session.client();
        Channel s = links.seenByScripts();
        HandshakeV10 greeting = links.greeting();
        BackendLink second = links.second();
        HandshakeResponse login = session.loginResponse();
        return new ConnectionInfo(session.id(), (InetSocketAddress) client.remoteAddress(),
                (InetSocketAddress) client.localAddress(),
                s == null ? null : (InetSocketAddress) s.localAddress(),
                s == null ? null : (InetSocketAddress) s.remoteAddress(),
                login == null ? null : login.username(),
                session.mirror().database(),
                login == null ? null : login.authPluginName(),
                login == null ? null : login.authResponse(),
                greeting == null ? 0 : greeting.connectionId(), greeting == null ? null : greeting.serverVersion(),
                greeting == null ? null : greeting.scramble(),
                listener.backendIndex(links.activeBackend()),
                listener.backendIndex(second == null ? null : second.backend()), session.capabilities(),
                session.tracker().serverStatus(), listener.backendInfos(), pinnedForHooks(session.multiplexer()));
    }

    /** What {@code proxy.connection.pinned} says: why the client keeps its backend connection, or null. */
    private static String pinnedForHooks(Multiplexer mux) {
        if (mux == null) {
            return ConnectionInfo.NOT_MULTIPLEXED;
        }
        PinReason reason = mux.pinReason();
        return reason == null ? null : reason.label();
    }

    /**
     * What the admin table {@code connections} shows of a session. Read from another thread while the session
     * runs, so a row may mix two moments; it is for display only.
     */
    static ConnectionRow forAdmin(ClientSession session) {
        CommandRecorder recorder = session.recorder();
        int command = recorder.currentCommand();
        long since = recorder.currentSinceNanos();
        Backend b = session.links().activeBackend();
        Multiplexer mux = session.multiplexer();
        return new ConnectionRow(session.id(), session.listener().name(), String.valueOf(session.clientAddress()),
                session.username(), session.mirror().database(),
                b == null ? null : b.address().toString(), session.state().name().toLowerCase(Locale.ROOT),
                command < 0 ? null : Commands.name(command),
                command < 0 ? 0 : (System.nanoTime() - since) / 1_000_000, recorder.currentText(),
                mux == null ? null : mux.pinReason() == null ? "no" : mux.pinReason().label());
    }
}
