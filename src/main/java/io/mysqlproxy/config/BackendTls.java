package io.mysqlproxy.config;

import java.nio.file.Path;

/** TLS toward backends: the mode, whether to verify the server certificate, and the CA bundle (PEM) to verify with. */
public record BackendTls(BackendTlsMode mode, boolean verify, Path caFile) {
    public static final BackendTls DISABLED = new BackendTls(BackendTlsMode.DISABLED, false, null);
}
