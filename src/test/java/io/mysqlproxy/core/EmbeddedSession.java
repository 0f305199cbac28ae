package io.mysqlproxy.core;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.backend.BackendConfig;
import io.mysqlproxy.backend.BackendRole;
import io.mysqlproxy.backend.SelectionPolicy;
import io.mysqlproxy.config.BackendTls;
import io.mysqlproxy.config.ClientTls;
import io.mysqlproxy.config.HealthCheck;
import io.mysqlproxy.config.HostPort;
import io.mysqlproxy.config.Limits;
import io.mysqlproxy.config.ListenerConfig;
import io.mysqlproxy.config.MonitoringConfig;
import io.mysqlproxy.config.MultiplexingConfig;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.metrics.ProxyMetrics;
import io.mysqlproxy.protocol.Capabilities;
import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.ErrPacket;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.HandshakeV10;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.testing.TestProxy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;

import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One client session of the proxy on in-memory channels, for unit tests of the session's phases without a server:
 * the client's connection is an {@link EmbeddedChannel} the test writes the client's packets into and reads the
 * proxy's answers from, and every backend connection the session opens is another one, in the order opened. All of
 * them share one event loop, as a client and its backend connections do in the proxy.
 */
final class EmbeddedSession implements BackendConnector, AutoCloseable {
    static final Limits LIMITS = new Limits(2_000, 10_000, 60_000, 60_000, 60_000, 1 << 24, 1_000);
    /**
     * What a MariaDB 10.11 server offers, compression and TLS included (the proxy masks both); without CLIENT_MYSQL,
     * as MariaDB servers send it, so that its extended capabilities are in the greeting.
     */
    static final long SERVER_CAPS = Capabilities.CLIENT_FOUND_ROWS
            | Capabilities.CLIENT_LONG_FLAG | Capabilities.CLIENT_CONNECT_WITH_DB | Capabilities.CLIENT_COMPRESS
            | Capabilities.CLIENT_PROTOCOL_41 | Capabilities.CLIENT_SSL | Capabilities.CLIENT_TRANSACTIONS
            | Capabilities.CLIENT_SECURE_CONNECTION | Capabilities.CLIENT_MULTI_STATEMENTS
            | Capabilities.CLIENT_MULTI_RESULTS | Capabilities.CLIENT_PS_MULTI_RESULTS | Capabilities.CLIENT_PLUGIN_AUTH
            | Capabilities.CLIENT_CONNECT_ATTRS | Capabilities.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
            | Capabilities.CLIENT_SESSION_TRACK | Capabilities.CLIENT_DEPRECATE_EOF
            | Capabilities.MARIADB_CLIENT_PROGRESS | Capabilities.MARIADB_CLIENT_STMT_BULK_OPERATIONS
            | Capabilities.MARIADB_CLIENT_EXTENDED_METADATA;
    static final byte[] SCRAMBLE = "abcdefghijklmnopqrst\0".getBytes();
    /** An OK with SERVER_STATUS_AUTOCOMMIT. */
    static final byte[] OK = {0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00};

    /** {@link #LIMITS} with another connect timeout. */
    static Limits withConnectTimeout(long millis) {
        Limits l = LIMITS;
        return new Limits(millis, l.handshakeTimeoutMillis(), l.idleTimeoutMillis(), l.readTimeoutMillis(),
                l.writeTimeoutMillis(), l.maxPacketSize(), l.shutdownTimeoutMillis());
    }

    /** {@link #LIMITS} with another max packet size. */
    static Limits withMaxPacketSize(long bytes) {
        Limits l = LIMITS;
        return new Limits(l.connectTimeoutMillis(), l.handshakeTimeoutMillis(), l.idleTimeoutMillis(),
                l.readTimeoutMillis(), l.writeTimeoutMillis(), bytes, l.shutdownTimeoutMillis());
    }

    final EmbeddedChannel client;
    final ClientSession session;
    final Listener listener;
    private final ProxyContext context;
    private final Deque<EmbeddedChannel> opened = new ArrayDeque<>();
    private final List<EmbeddedChannel> all = new ArrayList<>();
    private final Set<String> refusing = new HashSet<>();
    private long lastSessionId;
    /** Registered on {@link #loop} for as long as the fixture lives: runs its tasks once every other channel closed. */
    private final EmbeddedChannel clock = new EmbeddedChannel();
    /** Every channel of the fixture runs on this one loop: each step runs to its end on the test's thread. */
    private final EventLoop loop = clock.eventLoop();

    private EmbeddedSession(Limits limits, PoolConfig pool, Set<String> refused, String... backends) {
        this(limits, pool, refused, ClientTls.DISABLED, BackendTls.DISABLED, backends);
    }

    private EmbeddedSession(Limits limits, PoolConfig pool, Set<String> refused, ClientTls clientTls,
                            BackendTls backendTls, String... backends) {
        clock.freezeTime(); // time moves only as the test says: real time passing must not bring a deadline closer
        this.refusing.addAll(refused);
        this.context = context(limits, pool, backendTls, this);
        this.listener = listener(context, clientTls, backends);
        Client first = connectClient();
        this.client = first.channel();
        this.session = first.session();
    }

    /** A client connected to a listener relaying to {@code backends} (host:port, resolved by nobody). */
    static EmbeddedSession connect(String... backends) {
        return new EmbeddedSession(LIMITS, PoolConfig.NONE, Set.of(), backends);
    }

    /** Like {@link #connect}, with connections to {@code refused} refused. */
    static EmbeddedSession connectRefusing(Limits limits, Set<String> refused, String... backends) {
        return new EmbeddedSession(limits, PoolConfig.NONE, refused, backends);
    }

    /** Like {@link #connect}, with limits and pool settings of the test's own. */
    static EmbeddedSession connect(Limits limits, PoolConfig pool, String... backends) {
        return new EmbeddedSession(limits, pool, Set.of(), backends);
    }

    /** Like {@link #connect}, with TLS offered to clients and TLS to backends as given. */
    static EmbeddedSession connect(ClientTls clientTls, BackendTls backendTls, String... backends) {
        return new EmbeddedSession(LIMITS, PoolConfig.NONE, Set.of(), clientTls, backendTls, backends);
    }

    /** One client connection and its session. */
    record Client(EmbeddedChannel channel, ClientSession session) {
    }

    /** Another client connects to the same listener: its session starts its login. */
    Client connectClient() {
        ClientSession next = new ClientSession(listener, context, ++lastSessionId);
        EmbeddedChannel channel = new EmbeddedChannel(false, false);
        all.add(channel);
        listener.attach(next, channel);
        channel.pipeline().addLast(Listener.SESSION_HANDLER, next);
        loop.register(channel); // the client connects: the session starts its login
        return new Client(channel, next);
    }

    static ProxyContext context(Limits limits, MultiplexingConfig multiplexing, BackendConnector connector) {
        return context(limits, new PoolConfig(0, 0, 60_000, multiplexing), connector);
    }

    static ProxyContext context(Limits limits, PoolConfig pool, BackendConnector connector) {
        return context(limits, pool, BackendTls.DISABLED, connector);
    }

    static ProxyContext context(Limits limits, PoolConfig pool, BackendTls backendTls, BackendConnector connector) {
        HealthCheck health = new HealthCheck(200, 500, 2, 1, null, null, "SELECT 1");
        NettyTransport transport = NettyTransport.of(TestProxy.vertx());
        return new ProxyContext(TestProxy.vertx(), transport, limits, health, backendTls,
                TlsContexts.forBackends(backendTls),
                pool, new ProxyMetrics(new SimpleMeterRegistry(), null),
                MonitoringConfig.DEFAULTS, connector == null ? BackendConnector.sockets(transport, limits) : connector,
                new SessionClock.PerLoop(limits));
    }

    static Listener listener(ProxyContext context, String... addresses) {
        return listener(context, ClientTls.DISABLED, addresses);
    }

    static Listener listener(ProxyContext context, ClientTls clientTls, String... addresses) {
        List<BackendConfig> backends = new ArrayList<>();
        for (String address : addresses) {
            backends.add(BackendConfig.parse(address, BackendRole.READ_WRITE));
        }
        return new Listener(new ListenerConfig("default", new HostPort("127.0.0.1", 0), backends,
                SelectionPolicy.FIRST_AVAILABLE, 10, clientTls), context);
    }

    @Override
    public ChannelFuture connect(EventLoop on, Backend backend, ChannelHandler handler) {
        EmbeddedChannel channel = new EmbeddedChannel(false, false);
        all.add(channel);
        if (refusing.contains(backend.address().toString())) {
            return new DefaultChannelPromise(channel, loop).setFailure(new ConnectException("Connection refused"));
        }
        channel.pipeline().addLast(BackendHandler.NAME, handler);
        opened.add(channel);
        return loop.register(channel);
    }

    /** The next backend connection the session opened, in order; fails when it opened none. */
    EmbeddedChannel nextBackend() {
        EmbeddedChannel next = opened.poll();
        if (next == null) {
            throw new AssertionError("the session opened no further backend connection");
        }
        return next;
    }

    /** Runs what waits on the session's event loop: tasks handed to it from other threads, and due timers. */
    void runPendingTasks() {
        clock.runPendingTasks();
    }

    boolean openedAnotherBackend() {
        return !opened.isEmpty();
    }

    /** {@code payload} arrives on {@code channel} as one packet with sequence id {@code seq}. */
    static void send(EmbeddedChannel channel, int seq, byte[] payload) {
        channel.writeInbound(PacketFramer.frame(ByteBufAllocator.DEFAULT, seq, Unpooled.wrappedBuffer(payload)));
    }

    /** A packet as it went over the wire. */
    record Frame(int seq, byte[] payload) {
        int first() {
            return payload.length == 0 ? -1 : payload[0] & 0xFF;
        }

        ErrPacket error() {
            return ErrPacket.decode(Unpooled.wrappedBuffer(payload));
        }

        @Override
        public String toString() {
            return "#" + seq + " " + Arrays.toString(Arrays.copyOf(payload, Math.min(payload.length, 16)));
        }
    }

    /** Every packet the proxy wrote to {@code channel} since the last call, in order. */
    static List<Frame> written(EmbeddedChannel channel) {
        ByteBuf all = Unpooled.buffer();
        Object msg;
        while ((msg = channel.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) msg;
            all.writeBytes(b);
            b.release();
        }
        List<Frame> frames = new ArrayList<>();
        while (all.readableBytes() >= 4) {
            int length = all.readUnsignedMediumLE();
            int seq = all.readUnsignedByte();
            byte[] payload = new byte[length];
            all.readBytes(payload);
            frames.add(new Frame(seq, payload));
        }
        if (all.isReadable()) {
            throw new AssertionError(all.readableBytes() + " bytes that are not a whole packet");
        }
        return frames;
    }

    /** The one packet the proxy wrote to {@code channel}; fails on none or several. */
    static Frame onlyWritten(EmbeddedChannel channel) {
        List<Frame> frames = written(channel);
        if (frames.size() != 1) {
            throw new AssertionError("expected one packet, got " + frames);
        }
        return frames.get(0);
    }

    /** COM_QUERY with {@code sql}. */
    static byte[] query(String sql) {
        byte[] text = sql.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[text.length + 1];
        out[0] = Commands.COM_QUERY;
        System.arraycopy(text, 0, out, 1, text.length);
        return out;
    }

    /** An ERR packet's payload. */
    static byte[] error(int code, String sqlState, String message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Packets.ERR);
        out.write(code & 0xFF);
        out.write(code >> 8);
        out.write('#');
        out.writeBytes(sqlState.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(message.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** A MariaDB greeting offering {@code caps}, with thread id 42 and {@link #SCRAMBLE}. */
    static byte[] greeting(long caps) {
        ByteBuf out = Unpooled.buffer();
        new HandshakeV10("10.11.6-MariaDB", 42, SCRAMBLE, caps, 45, 2, SCRAMBLE.length,
                "mysql_native_password").encode(out);
        return bytes(out);
    }

    /** A client's login as {@code user} asking for {@code caps}. */
    static byte[] login(long caps, String user) {
        ByteBuf out = Unpooled.buffer();
        new HandshakeResponse(caps, 1 << 24, 45, user, new byte[20], null, "mysql_native_password").encode(out);
        return bytes(out);
    }

    static byte[] bytes(ByteBuf buf) {
        byte[] b = new byte[buf.readableBytes()];
        buf.readBytes(b);
        buf.release();
        return b;
    }

    @Override
    public void close() {
        for (EmbeddedChannel c : all) {
            if (c.isRegistered()) { // a refused connection never was
                c.finishAndReleaseAll();
            }
        }
        clock.finishAndReleaseAll();
    }
}
