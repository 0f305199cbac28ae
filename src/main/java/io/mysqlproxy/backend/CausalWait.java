package io.mysqlproxy.backend;

import java.util.Locale;

/** How a causal read's wait on a replica ended. */
public enum CausalWait {
    /** The replica applied the position in time and answered the read. */
    CAUGHT_UP,
    /** It did not within the causal reads timeout: the primary answered. */
    TIMED_OUT,
    /** The position could not be read or waited for (an error, a lost connection): the primary answered. */
    FAILED;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
