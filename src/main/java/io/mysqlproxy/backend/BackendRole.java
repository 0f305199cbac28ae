package io.mysqlproxy.backend;

/**
 * What a backend may serve: MySQL Proxy's two kinds ({@code --proxy-backend-addresses} and the read-only ones), and
 * {@link #AUTO}, a configured role only: such a backend is read-write while it is the listener's primary (see
 * {@link PrimaryElection}), read-only otherwise.
 */
public enum BackendRole {
    READ_WRITE("rw"),
    READ_ONLY("ro"),
    AUTO("auto");

    private final String label;

    BackendRole(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
