package io.mysqlproxy.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * A new version of a listener's Lua script tried on some of its new connections before all of them
 * ({@code --proxy-lua-canary-script}, or {@code spec.script.canary}): it runs in Lua states of its own beside the
 * stable script, and is rolled back when it fails more often than the stable one, or promoted to the stable script
 * after a while. Its source is a file (tried again when the file changes) or given inline with its modules (a
 * ConfigMap's keys; a change is a new canary).
 *
 * @param path               the canary script's file, or null for an inline one
 * @param name               how errors name the inline script, or null
 * @param source             the inline script's source, or null
 * @param modules            inline modules: key {@code NAME.lua} is what {@code require("NAME")} loads
 * @param weightPercent      percent of new client connections that run it
 * @param maxErrorRate       how much higher than the stable script's its failures per query may be (hook errors
 *                           and queries it refused with an error) before it is rolled back
 * @param minQueries         queries it runs before it is judged or promoted
 * @param promoteAfterMillis how long after it started it becomes the stable script if not rolled back (0: never)
 */
public record CanaryConfig(Path path, String name, String source, Map<String, String> modules, int weightPercent,
                           double maxErrorRate, long minQueries, long promoteAfterMillis) {
    public CanaryConfig {
        modules = modules == null ? Map.of() : Map.copyOf(modules);
    }

    public static CanaryConfig file(Path path, int weightPercent, double maxErrorRate, long minQueries,
                                    long promoteAfterMillis) {
        return new CanaryConfig(path, null, null, null, weightPercent, maxErrorRate, minQueries, promoteAfterMillis);
    }

    public static CanaryConfig inline(String name, String source, Map<String, String> modules, int weightPercent,
                                      double maxErrorRate, long minQueries, long promoteAfterMillis) {
        return new CanaryConfig(null, name, source, modules, weightPercent, maxErrorRate, minQueries,
                promoteAfterMillis);
    }

    /** What the log and errors call it. */
    public String label() {
        return path != null ? path.toString() : name;
    }
}
