package io.mysqlproxy.core;

import io.mysqlproxy.config.BackendTls;
import io.mysqlproxy.config.BackendTlsMode;
import io.mysqlproxy.config.ClientTls;
import io.mysqlproxy.config.ClientTlsMode;
import io.mysqlproxy.config.MultiplexingConfig;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.testing.MariaDbServer;
import io.mysqlproxy.testing.TestCertificates;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** TLS toward clients and toward backends, separately and together, with certificate verification. */
class TlsTest {
    static Path dir;
    static TestCertificates certs;
    static MariaDbServer tlsServer;

    @BeforeAll
    static void setUp() throws Exception {
        dir = Files.createTempDirectory("mysqlproxy-tls-");
        certs = TestCertificates.create(dir);
        tlsServer = MariaDbServer.start(certs.serverArgs());
        tlsServer.execute("CREATE USER 'alice'@'%' IDENTIFIED BY 'secret'", "GRANT ALL ON *.* TO 'alice'@'%'");
    }

    @AfterAll
    static void tearDown() {
        tlsServer.close();
    }

    private static String verifiedTls() {
        return "sslMode=verify-full&serverSslCert=" + certs.caCert;
    }

    private static String backendCipher(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) {
            rs.next();
            return rs.getString(2);
        }
    }

    @Test
    void verifiedClientTlsWithPlainBackend() throws SQLException {
        try (TestProxy proxy = TestProxy.builder().backend(tlsServer.address())
                .clientTls(new ClientTls(ClientTlsMode.REQUIRED, certs.cert, certs.key)).start();
             Connection c = DriverManager.getConnection(proxy.mariadbUrl("", verifiedTls()), "alice", "secret")) {
            assertThat(backendCipher(c)).isEmpty(); // the proxy's own connection to the backend is plain
        }
    }

    @Test
    void requiredClientTlsRefusesPlainClients() {
        try (TestProxy proxy = TestProxy.builder().backend(tlsServer.address())
                .clientTls(new ClientTls(ClientTlsMode.REQUIRED, certs.cert, certs.key)).start()) {
            assertThatThrownBy(() -> DriverManager.getConnection(proxy.mariadbUrl("", "sslMode=disable"), "alice",
                    "secret")).hasMessageContaining("insecure transport");
        }
    }

    @Test
    void optionalClientTlsAcceptsBoth() throws SQLException {
        try (TestProxy proxy = TestProxy.builder().backend(tlsServer.address())
                .clientTls(new ClientTls(ClientTlsMode.OPTIONAL, certs.cert, certs.key)).start()) {
            for (String options : new String[] {"sslMode=disable", verifiedTls()}) {
                try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("", options), "alice", "secret")) {
                    assertThat(c.isValid(2)).isTrue();
                }
            }
        }
    }

    @Test
    void verifiedBackendTlsWithPlainClient() throws SQLException {
        try (TestProxy proxy = TestProxy.builder().backend(tlsServer.address())
                .backendTls(new BackendTls(BackendTlsMode.REQUIRED, true, certs.caCert)).start();
             Connection c = DriverManager.getConnection(proxy.mariadbUrl("", "sslMode=disable"), "alice", "secret")) {
            assertThat(backendCipher(c)).isNotEmpty();
        }
    }

    @Test
    void multiplexedClientsShareTlsBackendConnections() throws SQLException {
        try (TestProxy proxy = TestProxy.builder().backend(tlsServer.address())
                .backendTls(new BackendTls(BackendTlsMode.REQUIRED, true, certs.caCert))
                .pool(new PoolConfig(0, 0, 60_000,
                        new MultiplexingConfig(true, Set.of(), 2, 2_000))).start()) {
            List<Connection> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 6; i++) { // more clients than the two connections: logins take them over
                    clients.add(DriverManager.getConnection(proxy.mariadbUrl("", "sslMode=disable"), "alice",
                            "secret"));
                }
                for (int round = 0; round < 3; round++) {
                    for (Connection c : clients) {
                        assertThat(backendCipher(c)).isNotEmpty();
                    }
                }
            } finally {
                for (Connection c : clients) {
                    c.close();
                }
            }
        }
    }

    @Test
    void tlsOnBothSidesWithMySqlConnector() throws SQLException {
        try (TestProxy proxy = TestProxy.builder().backend(tlsServer.address())
                .clientTls(new ClientTls(ClientTlsMode.REQUIRED, certs.cert, certs.key))
                .backendTls(new BackendTls(BackendTlsMode.REQUIRED, true, certs.caCert)).start()) {
            String url = "jdbc:mysql://127.0.0.1:" + proxy.port() + "/?sslMode=VERIFY_IDENTITY"
                    + "&trustCertificateKeyStoreUrl=file:" + truststore() + "&trustCertificateKeyStorePassword=changeit"
                    + "&trustCertificateKeyStoreType=PKCS12";
            try (Connection c = DriverManager.getConnection(url, "alice", "secret")) {
                assertThat(backendCipher(c)).isNotEmpty();
            }
        }
    }

    @Test
    void backendCertificateFromAnotherCaIsRefused() {
        Path other = TestCertificates.otherCa(dir);
        try (TestProxy proxy = TestProxy.builder().backend(tlsServer.address())
                .backendTls(new BackendTls(BackendTlsMode.REQUIRED, true, other)).start()) {
            assertThatThrownBy(() -> DriverManager.getConnection(proxy.mariadbUrl("", "sslMode=disable"), "alice",
                    "secret")).hasMessageContaining("TLS to backend " + tlsServer.address() + " failed");
        }
    }

    @Test
    void requiredBackendTlsRefusesABackendWithoutIt() {
        MariaDbServer plain = MariaDbServer.start();
        try (plain; TestProxy proxy = TestProxy.builder().backend(plain.address())
                .backendTls(new BackendTls(BackendTlsMode.REQUIRED, false, null)).start()) {
            assertThatThrownBy(() -> DriverManager.getConnection(proxy.mariadbUrl("", "sslMode=disable"), "root", ""))
                    .hasMessageContaining("does not support TLS");
        }
    }

    /** The test CA in a PKCS#12 trust store, for MySQL Connector/J. */
    private static Path truststore() {
        Path store = dir.resolve("trust.p12");
        if (!Files.exists(store)) {
            try {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                try (var in = Files.newInputStream(certs.caCert)) {
                    ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
                            .generateCertificate(in));
                }
                try (var out = Files.newOutputStream(store)) {
                    ks.store(out, "changeit".toCharArray());
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return store;
    }
}
