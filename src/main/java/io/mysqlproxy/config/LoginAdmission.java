package io.mysqlproxy.config;

/**
 * How many logins a listener runs at once, and how long a client beyond that waits for one to end before it is
 * refused with error 1040 (0: refused at once). A login in progress holds two descriptors (the client's socket and
 * its backend's) and costs the backend a connection and an authentication; bounding them keeps a connection storm
 * from exhausting either, while clients already logged in go on.
 */
public record LoginAdmission(int maxLogins, long queueTimeoutMillis) {
    /** Logins at once by default: at most this many, fewer when the descriptor limit is low. */
    static final int AUTO_CEILING = 256;
    private static final int AUTO_FLOOR = 16;

    public LoginAdmission {
        if (maxLogins < 1) {
            throw new IllegalArgumentException("max logins must be at least 1, not " + maxLogins);
        }
        if (queueTimeoutMillis < 0) {
            throw new IllegalArgumentException("login queue timeout must not be negative");
        }
    }

    /**
     * The default bound for {@code descriptors}: an eighth of what clients may use goes to logins in progress (the
     * rest stays for logged-in sessions), between 16 and 256; a second's wait in the queue.
     */
    public static LoginAdmission auto(long descriptors) {
        long forClients = Math.max(0, descriptors - Limits.RESERVED_DESCRIPTORS);
        int max = (int) Math.max(AUTO_FLOOR, Math.min(AUTO_CEILING, forClients / 8));
        return new LoginAdmission(max, 1_000);
    }

    /** The default for this process's descriptor limit. */
    public static LoginAdmission auto() {
        return auto(Limits.descriptorLimit());
    }
}
