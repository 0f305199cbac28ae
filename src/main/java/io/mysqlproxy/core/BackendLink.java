package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.protocol.HandshakeV10;
import io.netty.channel.Channel;

/**
 * A logged-in backend connection of a session: its backend, the connection, and the greeting it was opened with.
 * The session may give the connection away (to the pool) and keep the link: it still counts as a client of the
 * backend, and scripts still see the backend's index.
 */
final class BackendLink {
    private final Backend backend;
    private final HandshakeV10 greeting;
    private Channel channel;

    BackendLink(Backend backend, Channel channel, HandshakeV10 greeting) {
        this.backend = backend;
        this.channel = channel;
        this.greeting = greeting;
    }

    Backend backend() {
        return backend;
    }

    /** The connection, or null once it was given away. */
    Channel channel() {
        return channel;
    }

    HandshakeV10 greeting() {
        return greeting;
    }

    /** The connection belongs to a pool now. */
    void givenAway() {
        channel = null;
    }
}
