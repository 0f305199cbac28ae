package io.mysqlproxy.config;

import io.mysqlproxy.scripting.ScriptingOptions;

import java.nio.file.Path;

/** The Lua script the proxy runs and how. */
public record ScriptConfig(Path path, ScriptingOptions options) {
}
