package io.mysqlproxy.backend;

import java.util.Locale;

/** A server's {@code @@global.read_only} as the last logged-in health check read it. */
public enum ServerReadOnly {
    /** Not read yet, or the last check could not read it. */
    UNKNOWN,
    OFF,
    ON;

    /** The value of {@code SELECT @@global.read_only} as text: {@code 0} / {@code 1} (or {@code OFF} / {@code ON}). */
    static ServerReadOnly parse(String value) {
        if (value == null) {
            return UNKNOWN;
        }
        return switch (value.trim().toUpperCase(Locale.ROOT)) {
            case "0", "OFF" -> OFF;
            case "1", "ON" -> ON;
            default -> UNKNOWN;
        };
    }
}
