package io.mysqlproxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A throw-away CA and a certificate for 127.0.0.1/localhost signed by it, made with the openssl command. */
public final class TestCertificates {
    public final Path dir;
    public final Path caCert;
    public final Path cert;
    public final Path key;

    private TestCertificates(Path dir) {
        this.dir = dir;
        this.caCert = dir.resolve("ca.pem");
        this.cert = dir.resolve("server.pem");
        this.key = dir.resolve("server-key.pem");
    }

    public static TestCertificates create(Path dir) {
        TestCertificates c = new TestCertificates(dir);
        try {
            Files.writeString(dir.resolve("san.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
            run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=mysqlproxy test CA", "-keyout", "ca-key.pem", "-out", "ca.pem");
            run(dir, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                    "-keyout", "server-key.pem", "-out", "server.csr");
            run(dir, "openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                    "-CAcreateserial", "-days", "2", "-extfile", "san.cnf", "-out", "server.pem");
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A second, unrelated CA, for tests that must fail verification. */
    public static Path otherCa(Path dir) {
        try {
            run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=another CA", "-keyout", "other-ca-key.pem", "-out", "other-ca.pem");
            return dir.resolve("other-ca.pem");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The mariadbd options that make it offer TLS with this certificate. */
    public String[] serverArgs() {
        return new String[] {"--ssl-cert=" + cert, "--ssl-key=" + key, "--ssl-ca=" + caCert};
    }

    private static void run(Path dir, String... cmd) throws IOException {
        Process p = new ProcessBuilder(List.of(cmd)).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
