package io.mysqlproxy.testing;

import io.mysqlproxy.protocol.Capabilities;
import io.mysqlproxy.protocol.ErrPacket;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.HandshakeV10;
import io.mysqlproxy.protocol.OkPacket;
import io.mysqlproxy.protocol.ServerStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.crypto.Cipher;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A scripted MySQL 8 style server for caching_sha2_password, since no MySQL 8 server runs here. It performs the real
 * exchange: the fast path when the user's hash is cached, full authentication otherwise (the password in clear over
 * TLS, or RSA-encrypted with a public key the client requests). After a successful login it logs in to a real MariaDB
 * with the client's capabilities and relays the command phase there, so that a real driver can run real queries.
 */
public final class CachingSha2Server implements AutoCloseable {
    public static final String PLUGIN = "caching_sha2_password";
    private static final long CAPS = Capabilities.CLIENT_LONG_PASSWORD_FLAG | Capabilities.CLIENT_FOUND_ROWS
            | Capabilities.CLIENT_LONG_FLAG | Capabilities.CLIENT_CONNECT_WITH_DB | Capabilities.CLIENT_LOCAL_FILES
            | Capabilities.CLIENT_PROTOCOL_41 | Capabilities.CLIENT_INTERACTIVE | Capabilities.CLIENT_TRANSACTIONS
            | Capabilities.CLIENT_SECURE_CONNECTION | Capabilities.CLIENT_MULTI_STATEMENTS
            | Capabilities.CLIENT_MULTI_RESULTS | Capabilities.CLIENT_PS_MULTI_RESULTS | Capabilities.CLIENT_PLUGIN_AUTH
            | Capabilities.CLIENT_CONNECT_ATTRS | Capabilities.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
            | Capabilities.CLIENT_DEPRECATE_EOF;

    private final ServerSocket socket;
    private final String user;
    private final String password;
    private final MariaDbServer delegate;
    private final SSLContext tls;
    private final KeyPair rsa;
    private final Set<String> cache = ConcurrentHashMap.newKeySet();
    /** How each login went, for tests to assert on: "fast", "full-tls", "full-rsa", "denied". */
    public final List<String> logins = new CopyOnWriteArrayList<>();

    public CachingSha2Server(String user, String password, MariaDbServer delegate, SSLContext tls) {
        this.user = user;
        this.password = password;
        this.delegate = delegate;
        this.tls = tls;
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
            gen.initialize(2048);
            this.rsa = gen.generateKeyPair();
            this.socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        Thread acceptor = new Thread(this::acceptLoop, "caching-sha2-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public String address() {
        return "127.0.0.1:" + socket.getLocalPort();
    }

    /** Forgets cached hashes, so that the next login needs full authentication. */
    public void clearCache() {
        cache.clear();
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                Socket s = socket.accept();
                Thread t = new Thread(() -> serve(s), "caching-sha2-session");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (Socket client = s) {
            new Session(client).run();
        } catch (IOException | RuntimeException e) {
            // the peer went away (health checks read the greeting and hang up)
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    /** One connection: handshake, authentication, then relay to the delegate. */
    private final class Session {
        private Socket socket;
        private DataInputStream in;
        private OutputStream out;
        private int seq;
        private final byte[] nonce = new byte[20];

        Session(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new DataInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
            new SecureRandom().nextBytes(nonce);
            for (int i = 0; i < nonce.length; i++) {
                nonce[i] = (byte) (nonce[i] & 0x7F | 1); // printable-safe and never NUL, as servers do
            }
        }

        void run() throws IOException {
            byte[] data = Arrays.copyOf(nonce, 21);
            long caps = CAPS | (tls != null ? Capabilities.CLIENT_SSL : 0);
            write(0, payload(b -> new HandshakeV10("5.7.44-caching-sha2-test", 7, data, caps, 33,
                    ServerStatus.AUTOCOMMIT, 21, PLUGIN).encode(b)));
            byte[] response = read();
            if (HandshakeResponse.isSslRequest(Unpooled.wrappedBuffer(response))) {
                SSLSocket secured = (SSLSocket) tls.getSocketFactory().createSocket(socket,
                        socket.getInetAddress().getHostAddress(), socket.getPort(), true);
                secured.setUseClientMode(false);
                secured.startHandshake();
                socket = secured;
                in = new DataInputStream(secured.getInputStream());
                out = secured.getOutputStream();
                response = read();
            }
            HandshakeResponse login = HandshakeResponse.decode(Unpooled.wrappedBuffer(response));
            if (!authenticate(login)) {
                logins.add("denied");
                write(seq + 1, payload(b -> new ErrPacket(1045, "28000", "Access denied for user '"
                        + login.username() + "'").encode(b)));
                return;
            }
            try (RawClient backend = RawClient.loginRelay(delegate.port(), login.capabilities(), login.database())) {
                write(seq + 1, payload(b -> new OkPacket(0, 0, ServerStatus.AUTOCOMMIT, 0, "").encode(b)));
                backend.pipe(in, out, CachingSha2Server::asMariaDb);
            }
        }

        private boolean authenticate(HandshakeResponse login) throws IOException {
            if (!user.equals(login.username()) || !PLUGIN.equals(login.authPluginName())) {
                return false;
            }
            if (!Arrays.equals(login.authResponse(), fastScramble(password, nonce))) {
                return false;
            }
            if (cache.contains(login.username())) {
                write(seq + 1, new byte[] {1, 3}); // fast authentication succeeded
                logins.add("fast");
                return true;
            }
            write(seq + 1, new byte[] {1, 4}); // perform full authentication
            byte[] reply = read();
            String given;
            if (socket instanceof SSLSocket) {
                given = new String(reply, 0, reply.length - 1, StandardCharsets.UTF_8);
                logins.add("full-tls");
            } else {
                if (reply.length == 1 && reply[0] == 2) {
                    byte[] pem = ("-----BEGIN PUBLIC KEY-----\n"
                            + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(rsa.getPublic().getEncoded())
                            + "\n-----END PUBLIC KEY-----\n").getBytes(StandardCharsets.US_ASCII);
                    byte[] more = new byte[pem.length + 1];
                    more[0] = 1;
                    System.arraycopy(pem, 0, more, 1, pem.length);
                    write(seq + 1, more);
                    reply = read();
                }
                given = decrypt(reply);
                logins.add("full-rsa");
            }
            if (!password.equals(given)) {
                return false;
            }
            cache.add(login.username());
            return true;
        }

        private String decrypt(byte[] encrypted) {
            for (String padding : new String[] {"RSA/ECB/OAEPWithSHA-1AndMGF1Padding", "RSA/ECB/PKCS1Padding"}) {
                try {
                    Cipher cipher = Cipher.getInstance(padding);
                    cipher.init(Cipher.DECRYPT_MODE, rsa.getPrivate());
                    byte[] plain = cipher.doFinal(encrypted);
                    for (int i = 0; i < plain.length; i++) {
                        plain[i] ^= nonce[i % nonce.length];
                    }
                    return new String(plain, 0, plain.length - 1, StandardCharsets.UTF_8);
                } catch (Exception e) {
                    // try the other padding: Connector/J picks one by server version
                }
            }
            return null;
        }

        private byte[] read() throws IOException {
            int[] s = new int[1];
            byte[] p = RawClient.readFrame(in, s);
            seq = s[0];
            return p;
        }

        private void write(int sequence, byte[] payload) throws IOException {
            seq = sequence & 0xFF;
            out.write(RawClient.frame(seq, payload));
            out.flush();
        }
    }

    /**
     * MySQL Connector/J 9 reads MySQL 8's names of two session variables, which MariaDB 10.11 spells the old way;
     * the delegate gets the old names (in queries only, lengths re-framed by the relay).
     */
    static byte[] asMariaDb(byte[] packet) {
        if (packet.length == 0 || packet[0] != 0x03) {
            return packet;
        }
        String query = new String(packet, StandardCharsets.UTF_8);
        String renamed = query.replaceAll("@@(session\\.)?transaction_(isolation|read_only)", "@@$1tx_$2");
        return renamed.equals(query) ? packet : renamed.getBytes(StandardCharsets.UTF_8);
    }

    /** SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce): what a client sends first. */
    public static byte[] fastScramble(String password, byte[] nonce) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] p1 = sha.digest(password.getBytes(StandardCharsets.UTF_8));
            byte[] p2 = sha.digest(p1);
            sha.update(p2);
            sha.update(nonce);
            byte[] mix = sha.digest();
            for (int i = 0; i < mix.length; i++) {
                mix[i] ^= p1[i];
            }
            return mix;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] payload(Consumer<ByteBuf> writer) {
        ByteBuf b = Unpooled.buffer();
        writer.accept(b);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }
}
