package io.mysqlproxy.config;

import java.nio.file.Path;

/**
 * A new version of a listener's Lua script tried on some of its new connections before all of them
 * ({@code --proxy-lua-canary-script}): it runs in Lua states of its own beside the stable script, and is rolled back
 * when it fails more often than the stable one, or promoted to the stable script after a while.
 *
 * @param path               the canary script's file
 * @param weightPercent      percent of new client connections that run it
 * @param maxErrorRate       how much higher than the stable script's its failures per query may be (hook errors
 *                           and queries it refused with an error) before it is rolled back
 * @param minQueries         queries it runs before it is judged or promoted
 * @param promoteAfterMillis how long after it started it becomes the stable script if not rolled back (0: never)
 */
public record CanaryConfig(Path path, int weightPercent, double maxErrorRate, long minQueries,
                           long promoteAfterMillis) {
}
