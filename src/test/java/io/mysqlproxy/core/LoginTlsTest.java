package io.mysqlproxy.core;

import io.mysqlproxy.config.BackendTls;
import io.mysqlproxy.config.BackendTlsMode;
import io.mysqlproxy.config.ClientTls;
import io.mysqlproxy.config.ClientTlsMode;
import io.mysqlproxy.core.EmbeddedSession.Frame;
import io.mysqlproxy.protocol.Capabilities;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.HandshakeV10;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.testing.TestCertificates;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.mysqlproxy.core.EmbeddedSession.OK;
import static io.mysqlproxy.core.EmbeddedSession.SERVER_CAPS;
import static io.mysqlproxy.core.EmbeddedSession.greeting;
import static io.mysqlproxy.core.EmbeddedSession.login;
import static io.mysqlproxy.core.EmbeddedSession.onlyWritten;
import static io.mysqlproxy.core.EmbeddedSession.query;
import static io.mysqlproxy.core.EmbeddedSession.send;
import static io.mysqlproxy.core.EmbeddedSession.written;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The login phase with TLS on one side, on in-memory channels: the test is the client's (or the server's) TLS
 * stack, and checks what each side sees once decrypted, sequence ids included (TLS on one side only shifts them).
 */
class LoginTlsTest {
    static final long OFFERED = LoginPhaseTest.OFFERED;
    @TempDir
    static Path dir;
    static TestCertificates certs;

    @BeforeAll
    static void certificates() {
        certs = TestCertificates.create(dir);
    }

    @Test
    void aClientLogsInOverTlsAndTheBackendGetsItsLoginInTheClearWithTheSequenceIdsItExpects() throws Exception {
        ClientTls tls = new ClientTls(ClientTlsMode.REQUIRED, certs.cert, certs.key);
        try (EmbeddedSession s = EmbeddedSession.connect(tls, BackendTls.DISABLED, "db1:3306")) {
            EmbeddedChannel db = s.nextBackend();
            send(db, 0, greeting(SERVER_CAPS & ~Capabilities.CLIENT_SSL));
            HandshakeV10 offered = HandshakeV10.decode(Unpooled.wrappedBuffer(onlyWritten(s.client).payload()));
            assertThat(Capabilities.has(offered.capabilities(), Capabilities.CLIENT_SSL))
                    .as("the proxy offers TLS whatever the server does").isTrue();

            send(s.client, 1, sslRequest(OFFERED | Capabilities.CLIENT_SSL));
            TlsPeer client = TlsPeer.client(s.client);
            assertThat(client.handshakeDone()).isTrue();
            assertThat(written(db)).as("the backend sees nothing of the client's TLS").isEmpty();

            client.send(2, login(OFFERED | Capabilities.CLIENT_SSL, "app"));
            Frame relayed = onlyWritten(db);
            HandshakeResponse response = HandshakeResponse.decode(Unpooled.wrappedBuffer(relayed.payload()));
            assertThat(relayed.seq()).as("the backend's login starts at 1").isEqualTo(1);
            assertThat(response.username()).isEqualTo("app");
            assertThat(Capabilities.has(response.capabilities(), Capabilities.CLIENT_SSL)).isFalse();

            send(db, 2, OK);
            List<Frame> toClient = client.received();
            assertThat(toClient).hasSize(1);
            assertThat(toClient.get(0).seq()).as("the client counts its SSL request").isEqualTo(3);
            assertThat(toClient.get(0).payload()).isEqualTo(OK);
            assertThat(s.session.state().authenticated()).isTrue();

            byte[] select = query("select 1");
            client.send(0, select);
            Frame command = onlyWritten(db);
            assertThat(command.seq()).isZero();
            assertThat(command.payload()).isEqualTo(select);
        }
    }

    @Test
    void aClientThatDoesNotAskForTlsIsRefusedWhenTheListenerRequiresIt() {
        ClientTls tls = new ClientTls(ClientTlsMode.REQUIRED, certs.cert, certs.key);
        try (EmbeddedSession s = EmbeddedSession.connect(tls, BackendTls.DISABLED, "db1:3306")) {
            EmbeddedChannel db = s.nextBackend();
            send(db, 0, greeting(SERVER_CAPS));
            written(s.client);

            send(s.client, 1, login(OFFERED, "app"));
            Frame refusal = onlyWritten(s.client);
            assertThat(refusal.seq()).isEqualTo(2);
            assertThat(refusal.error().errorCode()).isEqualTo(ErrorCodes.SECURE_TRANSPORT_REQUIRED);
            assertThat(refusal.error().message()).contains("insecure transport").contains("default");
            assertThat(written(db)).as("the login never reaches the backend").isEmpty();
            assertThat(s.session.state()).isEqualTo(SessionState.CLOSED);
        }
    }

    @Test
    void theProxyLogsIntoABackendOverTlsAndTheClientSeesAPlainLogin() throws Exception {
        BackendTls tls = new BackendTls(BackendTlsMode.REQUIRED, false, null);
        try (EmbeddedSession s = EmbeddedSession.connect(ClientTls.DISABLED, tls, "db1:3306")) {
            EmbeddedChannel db = s.nextBackend();
            send(db, 0, greeting(SERVER_CAPS));
            HandshakeV10 offered = HandshakeV10.decode(Unpooled.wrappedBuffer(onlyWritten(s.client).payload()));
            assertThat(Capabilities.has(offered.capabilities(), Capabilities.CLIENT_SSL))
                    .as("clients of a listener without TLS are not offered it").isFalse();

            send(s.client, 1, login(OFFERED, "app"));
            ByteBuf request = db.readOutbound();
            assertThat(request.readUnsignedMediumLE()).isEqualTo(HandshakeResponse.FIXED_LENGTH);
            assertThat(request.readUnsignedByte()).as("the SSL request").isEqualTo((short) 1);
            assertThat(Capabilities.has(HandshakeResponse.readCapabilities(request), Capabilities.CLIENT_SSL)).isTrue();
            request.release();

            TlsPeer server = TlsPeer.server(db, SslContextBuilder.forServer(certs.cert.toFile(), certs.key.toFile())
                    .build());
            assertThat(server.handshakeDone()).isTrue();
            List<Frame> logins = server.received();
            assertThat(logins).hasSize(1);
            assertThat(logins.get(0).seq()).as("after the SSL request").isEqualTo(2);
            HandshakeResponse response = HandshakeResponse.decode(Unpooled.wrappedBuffer(logins.get(0).payload()));
            assertThat(response.username()).isEqualTo("app");
            assertThat(Capabilities.has(response.capabilities(), Capabilities.CLIENT_SSL)).isTrue();

            server.send(3, OK);
            Frame ok = onlyWritten(s.client);
            assertThat(ok.seq()).as("the client's own count").isEqualTo(2);
            assertThat(ok.payload()).isEqualTo(OK);
            assertThat(s.session.state().authenticated()).isTrue();
        }
    }

    @Test
    void aBackendWithoutTlsIsRefusedWhenTheProxyRequiresIt() {
        BackendTls tls = new BackendTls(BackendTlsMode.REQUIRED, false, null);
        try (EmbeddedSession s = EmbeddedSession.connect(ClientTls.DISABLED, tls, "db1:3306")) {
            EmbeddedChannel db = s.nextBackend();
            send(db, 0, greeting(SERVER_CAPS & ~Capabilities.CLIENT_SSL));
            written(s.client);

            send(s.client, 1, login(OFFERED, "app"));
            Frame refusal = onlyWritten(s.client);
            assertThat(refusal.seq()).isEqualTo(2);
            assertThat(refusal.error().errorCode()).isEqualTo(ErrorCodes.NO_BACKEND);
            assertThat(refusal.error().message()).contains("db1:3306").contains("does not support TLS");
            assertThat(written(db)).as("no login in the clear").isEmpty();
        }
    }

    @Test
    void aBackendThatFailsTheTlsHandshakeEndsTheLoginWithAnErrorNamingIt() {
        BackendTls tls = new BackendTls(BackendTlsMode.REQUIRED, false, null);
        try (EmbeddedSession s = EmbeddedSession.connect(ClientTls.DISABLED, tls, "db1:3306")) {
            EmbeddedChannel db = s.nextBackend();
            send(db, 0, greeting(SERVER_CAPS));
            written(s.client);
            send(s.client, 1, login(OFFERED, "app"));
            db.readOutbound(); // the SSL request
            while (db.readOutbound() != null) {
                // the proxy's TLS hello, which this server does not understand
            }

            // an in-memory channel leaves its pipeline as soon as it closes, so the TLS error that closed it goes
            // on to the pipeline's end, where the fixture hands it back to the test
            assertThatThrownBy(() -> db.writeInbound(
                    Unpooled.wrappedBuffer("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes())))
                    .hasRootCauseInstanceOf(NotSslRecordException.class);
            assertThat(db.isOpen()).isFalse();
            Frame refusal = onlyWritten(s.client);
            assertThat(refusal.seq()).isEqualTo(2);
            assertThat(refusal.error().errorCode()).isEqualTo(ErrorCodes.NO_BACKEND);
            assertThat(refusal.error().message()).contains("TLS to backend db1:3306 failed");
        }
    }

    /** The fixed part of a login: a client's request for TLS. */
    static byte[] sslRequest(long caps) {
        ByteBuf out = Unpooled.buffer();
        HandshakeResponse.encodeFixedPart(out, caps, 1 << 24, 45);
        return EmbeddedSession.bytes(out);
    }

    /** The far end of a TLS connection with one of the proxy's channels: a client's TLS stack, or a server's. */
    static final class TlsPeer {
        private final EmbeddedChannel peer;
        private final EmbeddedChannel proxySide;
        private final SslHandler handler;

        private TlsPeer(SslHandler handler, EmbeddedChannel proxySide) {
            this.handler = handler;
            this.peer = new EmbeddedChannel(handler);
            this.proxySide = proxySide;
            pump();
        }

        static TlsPeer client(EmbeddedChannel proxySide) throws Exception {
            SslContext ctx = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
            return new TlsPeer(ctx.newHandler(ByteBufAllocator.DEFAULT), proxySide);
        }

        static TlsPeer server(EmbeddedChannel proxySide, SslContext ctx) {
            return new TlsPeer(ctx.newHandler(ByteBufAllocator.DEFAULT), proxySide);
        }

        boolean handshakeDone() {
            return handler.handshakeFuture().isSuccess();
        }

        /** Moves bytes both ways until neither side has anything more to say. */
        void pump() {
            boolean moved;
            do {
                moved = false;
                Object m;
                while ((m = peer.readOutbound()) != null) {
                    proxySide.writeInbound(m);
                    moved = true;
                }
                proxySide.runPendingTasks();
                while ((m = proxySide.readOutbound()) != null) {
                    peer.writeInbound(m);
                    moved = true;
                }
                peer.runPendingTasks();
            } while (moved);
        }

        void send(int seq, byte[] payload) {
            peer.writeOutbound(PacketFramer.frame(ByteBufAllocator.DEFAULT, seq, Unpooled.wrappedBuffer(payload)));
            pump();
        }

        /** The packets the proxy sent, decrypted. */
        List<Frame> received() {
            pump();
            EmbeddedChannel plain = new EmbeddedChannel();
            Object m;
            while ((m = peer.readInbound()) != null) {
                plain.writeOutbound(m);
            }
            List<Frame> frames = written(plain);
            plain.finishAndReleaseAll();
            return frames;
        }
    }
}
