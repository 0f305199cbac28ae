package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.protocol.HandshakeV10;
import io.netty.channel.Channel;

import java.util.function.ToIntFunction;

/**
 * The backend connections of one session, and nothing else in the session stores one: the connection the client
 * logged in with (under multiplexing, the one it holds for the running command, or none between commands), the
 * second one a routing script asked for at login, and which of the two commands go to now. Only the session's
 * event loop touches it.
 */
final class SessionLinks {
    /** MySQL Proxy's 1-based index of a backend in the listener's list, 0 for none. */
    private final ToIntFunction<Backend> backendIndex;
    /** The backend the client logged in on; the session counts as its client while it lasts. */
    private Backend backend;
    private Channel server;
    private HandshakeV10 greeting;
    private BackendLink second;
    /** Where commands go when a script switched them to the second connection; null means {@link #server}. */
    private Channel activeServer;
    private Backend activeBackend;
    /** Multiplexing: the connection the last command ran on, which scripts see as the server between commands. */
    private Channel lastServer;

    SessionLinks(ToIntFunction<Backend> backendIndex) {
        this.backendIndex = backendIndex;
    }

    // ---- the login's connection --------------------------------------------------------------------------------

    void connected(Backend chosen, Channel channel) {
        backend = chosen;
        server = channel;
        chosen.clientConnected();
    }

    /** The login gave up the connection it had (a pooled one that did not fit) before opening another. */
    void released() {
        if (backend != null) {
            backend.clientDisconnected();
        }
        backend = null;
        server = null;
    }

    void greeted(HandshakeV10 handshake) {
        greeting = handshake;
    }

    Backend backend() {
        return backend;
    }

    /** The connection the client logged in with, or under multiplexing the one it holds now (or null). */
    Channel server() {
        return server;
    }

    HandshakeV10 greeting() {
        return greeting;
    }

    /** The login's connection went to a pool: the session holds none of its own. */
    void serverGivenAway() {
        server = null;
    }

    // ---- multiplexing ------------------------------------------------------------------------------------------

    /** A borrowed connection (to {@code itsBackend}) is now the one commands go to. */
    void attached(Channel channel, Backend itsBackend) {
        server = channel;
        activeServer = null;
        activeBackend = itsBackend;
    }

    /** The borrowed connection went back to its pool. */
    void detached() {
        lastServer = server;
        server = null;
    }

    /** The connection scripts see as the server: the one held now, else the one the last command ran on. */
    Channel seenByScripts() {
        return server != null ? server : lastServer;
    }

    // ---- the second connection ---------------------------------------------------------------------------------

    void secondConnected(Backend chosen, Channel channel, HandshakeV10 itsGreeting) {
        second = new BackendLink(chosen, channel, itsGreeting);
        chosen.clientConnected();
    }

    /** The second connection a routing script asked for at login, or null. */
    BackendLink second() {
        return second;
    }

    /** True while the session holds its second connection itself (not given to a pool). */
    boolean holdsSecond() {
        return second != null && second.channel() != null;
    }

    /** An idle second connection went away: commands go to the login's connection from now on. */
    void dropSecond() {
        Channel lost = second.channel();
        second.backend().clientDisconnected();
        second = null;
        if (activeServer == lost) {
            activate(server);
        }
    }

    // ---- where commands go -------------------------------------------------------------------------------------

    /** The session's connection to MySQL Proxy's backend {@code ndx} (1-based), or null if it has none there. */
    Channel serverFor(int ndx) {
        if (ndx > 0 && ndx == backendIndex.applyAsInt(backend)) {
            return server;
        }
        if (holdsSecond() && ndx == backendIndex.applyAsInt(second.backend())) {
            return second.channel();
        }
        return null;
    }

    void activate(Channel channel) {
        activeServer = channel;
        activeBackend = second != null && channel != null && channel == second.channel() ? second.backend() : backend;
    }

    Channel active() {
        return activeServer != null ? activeServer : server;
    }

    Backend activeBackend() {
        return activeBackend != null ? activeBackend : backend;
    }

    // ---- the end -----------------------------------------------------------------------------------------------

    void closeAll() {
        if (server != null) {
            server.close();
        }
        if (holdsSecond()) {
            second.channel().close();
        }
    }

    /** The session no longer counts as a client of its backends. */
    void disconnectAll() {
        if (backend != null) {
            backend.clientDisconnected();
            backend = null;
        }
        if (second != null) {
            second.backend().clientDisconnected();
            second = null;
        }
    }
}
