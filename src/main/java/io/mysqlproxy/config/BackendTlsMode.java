package io.mysqlproxy.config;

import java.util.Locale;

/** Whether the proxy uses TLS to backends: never, when the backend offers it, or always. */
public enum BackendTlsMode {
    DISABLED, PREFERRED, REQUIRED;

    public static BackendTlsMode parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a TLS mode (disabled, preferred, required)");
        }
    }
}
