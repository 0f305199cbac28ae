package io.mysqlproxy.core;

/** Phases of a client session, named after MySQL Proxy's connection states (and its Lua hooks). */
public enum SessionState {
    /** Picking a backend and connecting to it. */
    CONNECT_SERVER,
    /** Waiting for the backend's greeting. */
    READ_HANDSHAKE,
    /** The greeting went to the client; waiting for its handshake response (or TLS request). */
    READ_AUTH,
    /** Relaying the authentication exchange until the backend says OK or ERR. */
    READ_AUTH_RESULT,
    /** Authenticated and idle: waiting for the client's next command. */
    READ_QUERY,
    /** At least one command is waiting for (or receiving) its response. */
    READ_QUERY_RESULT,
    /** Closed, or closing after a final packet. */
    CLOSED;

    public boolean authenticated() {
        return this == READ_QUERY || this == READ_QUERY_RESULT;
    }
}
