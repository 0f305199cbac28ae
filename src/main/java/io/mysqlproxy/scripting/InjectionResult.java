package io.mysqlproxy.scripting;

import java.util.List;

/**
 * The outcome of one injected command, handed to {@code read_query_result}.
 *
 * @param packets          the response payloads when buffered, else empty
 * @param firstPacket      the first response payload (always kept: it says OK, ERR or result set)
 * @param queryMicros      from {@code append} to the first response packet
 * @param responseMicros   from {@code append} to the last response packet
 * @param rowPackets       number of row packets seen
 * @param rowBytes         their bytes, headers included
 */
public record InjectionResult(InjectionRequest request, List<byte[]> packets, byte[] firstPacket, long queryMicros,
                              long responseMicros, long rowPackets, long rowBytes, boolean buffered) {
}
