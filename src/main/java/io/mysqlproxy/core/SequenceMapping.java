package io.mysqlproxy.core;

/**
 * How sequence ids of one exchange relayed between a client and a backend correspond, when the two sides do not
 * number it alike: the proxy itself sent one side packets the other never saw (a TLS request to the backend, a
 * COM_CHANGE_USER in place of the client's login, an auth switch to a fresh scramble). Set once where the numbering
 * parts, then every packet in either direction is renumbered by it.
 */
final class SequenceMapping {
    private int offset;

    /** From now on, the client's {@code clientSeq} is the backend's {@code serverSeq}, and so on in step. */
    void align(int clientSeq, int serverSeq) {
        offset = serverSeq - clientSeq;
    }

    /** The backend's sequence id for a client packet numbered {@code clientSeq}. */
    int toServer(int clientSeq) {
        return clientSeq + offset;
    }

    /** The client's sequence id for a backend packet numbered {@code serverSeq}. */
    int toClient(int serverSeq) {
        return serverSeq - offset;
    }
}
