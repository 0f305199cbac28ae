package io.mysqlproxy.config;

import io.mysqlproxy.scripting.ScriptingOptions;

import java.nio.file.Path;
import java.util.Map;

/**
 * The Lua script a listener runs and how: either a file (re-read when it changes; modules next to it), or a source
 * given inline with its modules by name (a ConfigMap's keys).
 *
 * @param path    the script file, or null for an inline script
 * @param name    how errors name the inline script (for example {@code namespace/configmap/key}), or null
 * @param source  the inline script's source, or null
 * @param modules inline modules: key {@code NAME.lua} is what {@code require("NAME")} loads
 */
public record ScriptConfig(Path path, ScriptingOptions options, String name, String source,
                           Map<String, String> modules, CanaryConfig canary) {
    public ScriptConfig {
        modules = modules == null ? Map.of() : Map.copyOf(modules);
    }

    public ScriptConfig(Path path, ScriptingOptions options) {
        this(path, options, null, null, null, null);
    }

    public static ScriptConfig inline(String name, String source, Map<String, String> modules,
                                      ScriptingOptions options) {
        return new ScriptConfig(null, options, name, source, modules, null);
    }

    /** The same script with {@code next} as its canary (null: none). */
    public ScriptConfig withCanary(CanaryConfig next) {
        return new ScriptConfig(path, options, name, source, modules, next);
    }
}
