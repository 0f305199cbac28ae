package io.mysqlproxy.scripting;

/** A command a script put in {@code proxy.queries}: its id, its payload (command byte first), and whether its
 * result must be buffered for {@code read_query_result}. */
public record InjectionRequest(int id, byte[] packet, boolean resultsetNeeded) {
}
