package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.scripting.InjectionRequest;
import io.mysqlproxy.scripting.InjectionResult;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * A command of a scripted session under way (the client's, or one the script injected), and what its response was,
 * as {@code read_query_result} sees it.
 */
final class Injection {
    final InjectionRequest request;
    /** The script does not see this one's response: it goes to the client as it comes. */
    final boolean passthrough;
    private final long started = System.nanoTime();
    /** The response's packets, kept when the script asked for the result set. */
    final List<byte[]> packets = new ArrayList<>();
    /** Its response goes to the client packet by packet as it arrives (rather than being held for the script). */
    boolean streaming;
    /** What to add to the server's sequence ids for the client's numbering. */
    int seqOffset;
    /** The first byte of the response's first packet, -1 before it arrived. */
    int firstByte = -1;
    private byte[] first;
    private long firstAt;
    private long rows;
    private long rowBytes;

    Injection(InjectionRequest request, boolean passthrough) {
        this.request = request;
        this.passthrough = passthrough;
    }

    /** Whether the script sees the result set: its packets are kept, and reach the client only if it says so. */
    boolean buffered() {
        return !passthrough && request.resultsetNeeded();
    }

    /** A packet of the response arrived ({@code row}: one row of a result set); the payload is not consumed. */
    void received(ByteBuf payload, boolean row) {
        if (first == null && !passthrough) { // what read_query_result sees; a passthrough needs only firstByte
            first = bytes(payload.duplicate());
            firstAt = System.nanoTime();
        }
        if (row) {
            rows++;
            rowBytes += payload.readableBytes() + Packets.HEADER_SIZE;
        }
        if (buffered()) {
            packets.add(bytes(payload.duplicate()));
        }
    }

    /** The response ended: what {@code read_query_result} gets. */
    InjectionResult result() {
        long now = System.nanoTime();
        long firstSeen = firstAt == 0 ? now : firstAt;
        return new InjectionResult(request, List.copyOf(packets), first, (firstSeen - started) / 1000,
                (now - started) / 1000, rows, rowBytes, buffered());
    }

    static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), out);
        return out;
    }
}
