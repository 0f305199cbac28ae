package io.mysqlproxy.config;

/**
 * Statistics and logs of statements, and what readiness means.
 *
 * @param digests                  collect per-digest statistics
 * @param maxDigests               distinct statement shapes kept
 * @param textLength               bytes of a statement read for its digest and the slow-query log
 * @param slowQueryMillis          statements that take at least this long are logged (0: off)
 * @param readinessRequiresBackend ready only while every listener has a backend taking connections
 */
public record MonitoringConfig(boolean digests, int maxDigests, int textLength, long slowQueryMillis,
                               boolean readinessRequiresBackend) {
    public static final MonitoringConfig DEFAULTS = new MonitoringConfig(true, 5000, 2048, 0, true);
}
