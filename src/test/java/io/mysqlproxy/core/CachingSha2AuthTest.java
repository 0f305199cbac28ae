package io.mysqlproxy.core;

import io.mysqlproxy.config.BackendTls;
import io.mysqlproxy.config.BackendTlsMode;
import io.mysqlproxy.config.ClientTls;
import io.mysqlproxy.config.ClientTlsMode;
import io.mysqlproxy.testing.CachingSha2Server;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.TestCertificates;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * MySQL 8's caching_sha2_password relayed through the proxy, driven by MySQL Connector/J against a scripted server
 * that performs the real exchange: full authentication with a public-key request, the fast path once cached, and
 * full authentication in clear over TLS on both sides.
 */
class CachingSha2AuthTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();
    static Path dir;
    static TestCertificates certs;
    static CachingSha2Server server;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("mysqlproxy-sha2-");
        certs = TestCertificates.create(dir);
        server = new CachingSha2Server("sha2user", "s3cret!", DB.server(), serverTls());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static SSLContext serverTls() throws Exception {
        Process p = new ProcessBuilder("openssl", "pkcs12", "-export", "-in", certs.cert.toString(), "-inkey",
                certs.key.toString(), "-out", dir.resolve("server.p12").toString(), "-passout", "pass:changeit")
                .redirectErrorStream(true).start();
        assertThat(p.waitFor()).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    private static String whoAmI(String url) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, "sha2user", "s3cret!"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT CONCAT('answer ', 6 * 7)")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void fullAuthenticationWithPublicKeyRequestThenFastPath() throws SQLException {
        server.clearCache();
        server.logins.clear();
        try (TestProxy proxy = TestProxy.builder().backend(server.address()).start()) {
            String url = proxy.mysqlUrl("", "");
            assertThat(whoAmI(url)).isEqualTo("answer 42");
            assertThat(whoAmI(url)).isEqualTo("answer 42");
            assertThat(server.logins).containsExactly("full-rsa", "fast");
        }
    }

    @Test
    void fullAuthenticationInClearOverTlsOnBothSides() throws SQLException {
        server.clearCache();
        server.logins.clear();
        try (TestProxy proxy = TestProxy.builder().backend(server.address())
                .clientTls(new ClientTls(ClientTlsMode.REQUIRED, certs.cert, certs.key))
                .backendTls(new BackendTls(BackendTlsMode.REQUIRED, true, certs.caCert)).start()) {
            String url = "jdbc:mysql://127.0.0.1:" + proxy.port() + "/?sslMode=REQUIRED";
            assertThat(whoAmI(url)).isEqualTo("answer 42");
            assertThat(server.logins).containsExactly("full-tls");
        }
    }

    @Test
    void wrongPasswordIsRefusedByTheServer() {
        try (TestProxy proxy = TestProxy.builder().backend(server.address()).start()) {
            assertThatThrownBy(() -> DriverManager.getConnection(proxy.mysqlUrl("", ""), "sha2user", "wrong"))
                    .hasMessageContaining("Access denied for user 'sha2user'");
        }
    }
}
