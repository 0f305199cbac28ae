package io.mysqlproxy.backend;

/** MySQL Proxy's two kinds of backend: {@code --proxy-backend-addresses} and the read-only ones. */
public enum BackendRole {
    READ_WRITE("rw"),
    READ_ONLY("ro");

    private final String label;

    BackendRole(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
