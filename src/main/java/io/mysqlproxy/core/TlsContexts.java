package io.mysqlproxy.core;

import io.mysqlproxy.config.BackendTls;
import io.mysqlproxy.config.BackendTlsMode;
import io.mysqlproxy.config.ClientTls;
import io.mysqlproxy.config.ClientTlsMode;
import io.mysqlproxy.config.HostPort;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/** Builds the TLS contexts from PEM files, once per configuration. */
final class TlsContexts {
    private TlsContexts() {
    }

    static SslContext forClients(ClientTls tls) {
        if (tls.mode() == ClientTlsMode.DISABLED) {
            return null;
        }
        try {
            return SslContextBuilder.forServer(tls.certificate().toFile(), tls.key().toFile()).build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot load the client TLS certificate " + tls.certificate()
                    + " and key " + tls.key() + ": " + e.getMessage(), e);
        }
    }

    static SslContext forBackends(BackendTls tls) {
        if (tls.mode() == BackendTlsMode.DISABLED) {
            return null;
        }
        try {
            SslContextBuilder builder = SslContextBuilder.forClient();
            if (!tls.verify()) {
                builder.trustManager(InsecureTrustManagerFactory.INSTANCE);
            } else if (tls.caFile() != null) {
                builder.trustManager(tls.caFile().toFile());
            }
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot load the backend CA file " + tls.caFile() + ": "
                    + e.getMessage(), e);
        }
    }

    static SslHandler backendHandler(SslContext context, ByteBufAllocator alloc, HostPort address, boolean verify) {
        SslHandler handler = context.newHandler(alloc, address.host(), address.port());
        if (verify) {
            SSLParameters params = handler.engine().getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            handler.engine().setSSLParameters(params);
        }
        return handler;
    }
}
