package io.mysqlproxy.config;

import java.nio.file.Path;

/** TLS toward clients: the mode and the PEM certificate chain and key the proxy presents. */
public record ClientTls(ClientTlsMode mode, Path certificate, Path key) {
    public static final ClientTls DISABLED = new ClientTls(ClientTlsMode.DISABLED, null, null);

    public ClientTls {
        if (mode != ClientTlsMode.DISABLED && (certificate == null || key == null)) {
            throw new IllegalArgumentException("client TLS mode " + mode.name().toLowerCase()
                    + " needs --proxy-ssl-cert and --proxy-ssl-key");
        }
    }
}
