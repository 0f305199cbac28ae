package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.protocol.AuthSwitchRequest;
import io.mysqlproxy.protocol.ErrPacket;
import io.mysqlproxy.protocol.HandshakeV10;
import io.mysqlproxy.protocol.MalformedPacketException;
import io.mysqlproxy.protocol.NativePassword;
import io.mysqlproxy.protocol.Packet;
import io.mysqlproxy.protocol.PacketAssembler;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.protocol.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import org.jboss.logging.Logger;

/**
 * The second login a routing script asked for ({@code extra_backend_ndx}): a connection to another backend,
 * authenticated by the same client so that the script can route reads there. The proxy has no password: when the
 * main backend accepts the client, its OK is held and the client is asked to authenticate once more (an auth switch
 * carrying the second backend's scramble). That works for mysql_native_password logins over a plain backend
 * connection; otherwise, or when the second backend refuses, the client gets its OK and one connection.
 */
final class SecondLogin {
    private static final Logger LOG = Logger.getLogger(SecondLogin.class);

    /** What the second login needs of the client's first one. */
    interface FirstLogin {
        /** The capabilities the client asked for (0 before its handshake response). */
        long clientCapabilities();

        long serverCapabilities();

        /** Whether the client can be asked to authenticate again (mysql_native_password, one exchange so far). */
        boolean mayAskAgain();

        /** The client's login (once it arrived: the second login answers after it). */
        ClientLogin login();

        /** The held OK goes to the client: the login is over. */
        void finish(Packet ok, int seq);
    }

    private enum Phase { NONE, CONNECTING, GREETED, PROBING, SWITCHING, AUTHENTICATING, DONE, FAILED }

    private final ClientSession session;
    private final Listener listener;
    private final ProxyContext context;
    private final Channel client;
    private final FirstLogin first;
    private final int maxPacket;
    private Phase phase = Phase.NONE;
    private Backend backend;
    private Channel channel;
    private PacketAssembler packets;
    private HandshakeV10 greeting;
    /** The main backend's OK, which the client gets once this login settled. */
    private Packet heldOk;
    private int okSeq;
    private boolean tlsInTheWay;
    /** The client was asked to authenticate again and has not answered yet. */
    private boolean awaitingAnswer;
    /** A pooled connection: the client logs in with COM_CHANGE_USER, answering the scramble it gets then. */
    private PooledConnection reused;
    /** Sequence id of the pooled connection's auth switch, which the client's answer follows. */
    private int serverSwitchSeq;

    SecondLogin(ClientSession session, Listener listener, ProxyContext context, Channel client, FirstLogin first,
                int maxPacket) {
        this.session = session;
        this.listener = listener;
        this.context = context;
        this.client = client;
        this.first = first;
        this.maxPacket = maxPacket;
    }

    /** Whether a second login was asked for (the first one then cannot take a pooled connection). */
    boolean requested() {
        return phase != Phase.NONE;
    }

    /** The first login's backend connection uses TLS: the client's answer could not be relayed to a second one. */
    void tlsInTheWay(boolean tls) {
        tlsInTheWay = tls;
    }

    /** Whether the client's next packet answers this login's auth switch. */
    boolean awaitingAnswer() {
        return awaitingAnswer;
    }

    /** Starts the second login to backend {@code ndx} (1-based; 0: none asked for). */
    void want(int ndx) {
        if (ndx <= 0 || phase != Phase.NONE) {
            return;
        }
        Backend b = listener.backends().get(ndx - 1);
        if (b == session.backend() || !b.state().acceptsConnections()) {
            return;
        }
        backend = b;
        phase = Phase.CONNECTING;
        packets = new PacketAssembler(client.alloc(), maxPacket);
        PooledConnection idle = listener.pool(b).take(client.eventLoop());
        long caps = first.clientCapabilities();
        if (idle != null && (caps == 0 || idle.fits(caps & first.serverCapabilities()))) {
            // a pooled connection: the client answers its original scramble, COM_CHANGE_USER logs it in
            idle.moveTo(client.eventLoop(), moved -> {
                if (!moved || phase != Phase.CONNECTING || session.state() == SessionState.CLOSED) {
                    idle.channel().close();
                    if (phase == Phase.CONNECTING && session.state() != SessionState.CLOSED) {
                        connect(b);
                    }
                    return;
                }
                BackendHandler.of(idle.channel()).lend(session, true);
                channel = idle.channel();
                greeting = idle.greeting();
                reused = idle;
                phase = Phase.GREETED;
                if (heldOk != null) {
                    startSwitch();
                }
            });
            return;
        } else if (idle != null && !listener.pool(b).offer(idle)) {
            idle.channel().close();
        }
        connect(b);
    }

    /**
     * The main backend accepted the client: true when its OK waits for this login (then it is held here), false
     * when it goes to the client now (the caller then {@linkplain #abandon abandons} this login).
     */
    boolean holdOk(Packet ok, int seq) {
        boolean wanted = phase == Phase.CONNECTING || phase == Phase.GREETED;
        boolean eligible = first.mayAskAgain() && !tlsInTheWay && session.backend() != backend;
        if (!wanted || !eligible) {
            return false; // the caller abandons this login as it relays the OK
        }
        heldOk = ok;
        okSeq = seq;
        if (phase == Phase.GREETED) {
            startSwitch();
        }
        return true;
    }

    private void connect(Backend b) {
        IdlePool pool = listener.pool(b);
        pool.reserveBeyondLimit(); // counted, but a second login cannot wait for a pooled connection: the client waits
        context.connector().connect(client.eventLoop(), b, new BackendHandler(session, true))
                .addListener((ChannelFuture f) -> connected(pool, f));
    }

    private void connected(IdlePool pool, ChannelFuture f) {
        if (!f.isSuccess()) {
            pool.notOpened();
            fail("cannot connect: " + f.cause().getMessage());
            settled();
            return;
        }
        pool.opened(f.channel());
        if (phase == Phase.CONNECTING && session.state() != SessionState.CLOSED) {
            channel = f.channel();
        } else {
            f.channel().close();
        }
    }

    /** Bytes from the second backend while the client logs in. */
    void read(Channel from, ByteBuf buf) {
        if (from != channel || packets == null) {
            buf.release();
            return;
        }
        packets.add(buf);
        try {
            Packet p;
            while (packets != null && (p = packets.next()) != null) {
                packet(p);
            }
        } catch (MalformedPacketException e) {
            fail("malformed packet: " + e.getMessage());
            settled();
        }
    }

    private void packet(Packet p) {
        try {
            if (phase == Phase.CONNECTING) {
                if (p.firstByte() == Packets.ERR) {
                    fail("it refused the connection");
                } else {
                    greeting = HandshakeV10.decode(p.payload());
                    long mismatch = (greeting.capabilities() ^ first.serverCapabilities()) & first.clientCapabilities();
                    if (first.clientCapabilities() != 0 && mismatch != 0) {
                        fail("it negotiates other capabilities than backend " + session.backend().address());
                    } else {
                        phase = Phase.GREETED;
                        if (heldOk != null) {
                            startSwitch();
                        }
                        return;
                    }
                }
            } else if (phase == Phase.PROBING) {
                if (p.firstByte() == Packets.OK) {
                    phase = Phase.DONE; // a user without a password
                } else if (p.firstByte() == Packets.EOF) {
                    String plugin = AuthSwitchRequest.plugin(p.payload());
                    if (!NativePassword.PLUGIN.equals(plugin)) {
                        fail("it asked for authentication method " + plugin);
                    } else {
                        serverSwitchSeq = p.seq();
                        phase = Phase.SWITCHING;
                        awaitingAnswer = true;
                        ByteBuf out = client.alloc().buffer(p.payload().readableBytes());
                        out.writeBytes(p.payload(), p.payload().readerIndex(), p.payload().readableBytes());
                        client.writeAndFlush(PacketFramer.frame(client.alloc(), okSeq & 0xFF, out));
                        return;
                    }
                } else {
                    fail(refusal(p, "unexpected reply"));
                }
            } else if (phase == Phase.AUTHENTICATING) {
                if (p.firstByte() == Packets.OK) {
                    phase = Phase.DONE;
                } else {
                    fail(refusal(p, "it asked for another authentication method"));
                }
            } else {
                return;
            }
        } finally {
            p.payload().release();
        }
        settled();
    }

    /** Why the second backend did not accept the login: its error message, or {@code otherwise}. */
    private static String refusal(Packet reply, String otherwise) {
        return "it refused the login: " + (reply.firstByte() == Packets.ERR
                ? ErrPacket.decode(reply.payload().duplicate()).message() : otherwise);
    }

    /** The second backend closed {@code from} while the client logs in. */
    void closed(Channel from) {
        if (from != channel || phase == Phase.FAILED || phase == Phase.NONE) {
            return;
        }
        fail("it closed the connection");
        settled();
    }

    /** Asks the client to authenticate again, for the second backend's scramble. */
    private void startSwitch() {
        if (reused != null && !reused.fits(first.clientCapabilities() & first.serverCapabilities())) {
            // taken before the client said what it negotiates (its move may even end after the OK was held), it
            // would answer in another client's framing: it goes back, and a fresh connection serves this login
            PooledConnection idle = reused;
            reused = null;
            channel = null;
            greeting = null;
            if (!listener.pool(backend).offer(idle)) {
                IdlePool.discard(idle);
            }
            phase = Phase.CONNECTING;
            connect(backend);
            return;
        }
        if (reused != null) {
            // a pooled connection: COM_CHANGE_USER, whose auth switch brings the scramble the client will answer
            phase = Phase.PROBING;
            long caps = first.clientCapabilities();
            PooledTakeover.sendChangeUser(channel, first.login().answering(new byte[0], caps),
                    caps & first.serverCapabilities());
            return;
        }
        phase = Phase.SWITCHING;
        awaitingAnswer = true;
        PooledTakeover.askToAnswer(client, greeting, okSeq);
    }

    /** The client's answer to this login's auth switch. */
    void answer(Packet packet) {
        okSeq = packet.seq() + 1;
        awaitingAnswer = false;
        if (phase != Phase.SWITCHING) {
            packet.payload().release();
            settled();
            return;
        }
        byte[] auth = ByteBufUtil.getBytes(packet.payload());
        packet.payload().release();
        phase = Phase.AUTHENTICATING;
        if (reused != null) {
            channel.writeAndFlush(PacketFramer.frame(channel.alloc(), (serverSwitchSeq + 1) & 0xFF,
                    Unpooled.wrappedBuffer(auth)));
        } else {
            channel.writeAndFlush(PacketFramer.frame(channel.alloc(), 1, first.login().loginWith(auth, channel)));
        }
    }

    /** The second login ended, either way: the client gets the main backend's OK now. */
    private void settled() {
        if (heldOk == null || awaitingAnswer || phase == Phase.AUTHENTICATING || phase == Phase.PROBING
                || session.state() == SessionState.CLOSED) {
            return; // nothing held yet, or the client still owes its answer
        }
        Packet ok = heldOk;
        heldOk = null;
        if (phase == Phase.DONE) {
            session.links().secondConnected(backend, channel, greeting);
            LOG.debugf("session %d: client %s also logged into backend %s", session.id(), client.remoteAddress(),
                    backend.address());
        }
        releasePackets();
        first.finish(ok, okSeq);
    }

    private void fail(String why) {
        if (phase != Phase.FAILED && phase != Phase.NONE) {
            LOG.infof("session %d: no second connection to backend %s for client %s: %s", session.id(),
                    backend.address(), client.remoteAddress(), why);
        }
        phase = Phase.FAILED;
        if (channel != null) {
            channel.close();
        }
    }

    /** The second login will not happen (the client is refused, or the script answered instead). */
    void abandon() {
        if (phase != Phase.NONE && phase != Phase.DONE) {
            phase = Phase.FAILED;
            if (channel != null) {
                channel.close();
            }
        }
    }

    private void releasePackets() {
        if (packets != null) {
            packets.release();
            packets = null;
        }
    }

    /** The login ended: what this one still holds is let go (the connection, once the session's, stays open). */
    void release() {
        if (heldOk != null) {
            heldOk.payload().release();
            heldOk = null;
        }
        releasePackets();
        abandon();
    }
}
