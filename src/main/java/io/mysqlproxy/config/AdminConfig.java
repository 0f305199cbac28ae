package io.mysqlproxy.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * The admin interface.
 *
 * @param script          the admin Lua script, or null for the bundled one
 * @param maxFailedLogins failed logins one client host may make per {@link #BLOCK_MILLIS} before it is refused
 * @param settings        every option and its value, passwords hidden, as {@code SELECT * FROM config} shows them
 */
public record AdminConfig(HostPort address, String username, String password, Path script, int maxFailedLogins,
                          Map<String, String> settings) {
    /** How long failed logins are remembered, and how long a host that made too many is refused. */
    public static final long BLOCK_MILLIS = 60_000;

    @Override
    public String toString() {
        return "AdminConfig[" + address + ", user " + username + "]"; // never the password
    }
}
