package io.mysqlproxy.config;

import java.util.Locale;

/** Whether clients may or must use TLS to the proxy. */
public enum ClientTlsMode {
    DISABLED, OPTIONAL, REQUIRED;

    public static ClientTlsMode parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a TLS mode (disabled, optional, required)");
        }
    }
}
