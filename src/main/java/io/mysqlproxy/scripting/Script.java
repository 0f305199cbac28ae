package io.mysqlproxy.scripting;

import org.luaj.vm2.Prototype;

import java.nio.file.Path;

/**
 * A compiled script, immutable: compiled once and instantiated in every Lua state and for every connection.
 *
 * @param name     chunk name shown in errors (the script's path)
 * @param dir      where {@code require} finds modules (the script's directory), or null
 * @param checksum {@code sha256:<hex>} of the source, the script's version
 */
public record Script(String name, Path dir, Prototype prototype, String checksum, long generation) {
}
