package io.mysqlproxy.scripting;

import org.luaj.vm2.Prototype;

import java.nio.file.Path;
import java.util.Map;

/**
 * A compiled script, immutable: compiled once and instantiated in every Lua state and for every connection.
 *
 * @param name     chunk name shown in errors (the script's path)
 * @param dir      where {@code require} finds modules (the script's directory), or null
 * @param modules  modules given with an inline script ({@code NAME.lua} to source), empty for a file's
 * @param checksum {@code sha256:<hex>} of the source (and its inline modules), the script's version
 */
public record Script(String name, Path dir, Map<String, String> modules, Prototype prototype, String checksum,
                     long generation) {
}
