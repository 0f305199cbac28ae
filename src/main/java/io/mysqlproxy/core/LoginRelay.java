package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.config.ClientTlsMode;
import io.mysqlproxy.protocol.Capabilities;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.HandshakeV10;
import io.mysqlproxy.protocol.MalformedPacketException;
import io.mysqlproxy.protocol.Packet;
import io.mysqlproxy.protocol.PacketAssembler;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.scripting.HookOutcome;
import io.mysqlproxy.scripting.ScriptSession;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import org.jboss.logging.Logger;

import java.util.List;

/**
 * The connection phase of a session: relay the backend's greeting with the capabilities the proxy cannot relay
 * masked, terminate TLS on each side ({@link LoginTls}), and relay the authentication exchange whatever the plugin,
 * re-numbering sequence ids when TLS was set up on one side only ({@link SequenceMapping}); run the login hooks
 * ({@link LoginHooks}). The connection comes from a {@link BackendAcquirer}; a pooled one is taken over by a
 * {@link PooledTakeover}; a second login a script asks for is a {@link SecondLogin}.
 */
final class LoginRelay implements SessionPhase {
    private static final Logger LOG = Logger.getLogger(LoginRelay.class);
    /** Connection-phase packets are small; anything larger is not a login. */
    private static final int MAX_LOGIN_PACKET = 1 << 20;

    private final ClientSession session;
    private final Listener listener;
    private final ProxyContext context;
    private final Channel client;
    private final PacketAssembler fromClient;
    private final PacketAssembler fromServer;
    private final BackendAcquirer acquirer;
    /** Time the login has taken, in the session clock's ticks since the first one after it started. */
    private long loginMillis;
    private Channel server;
    private long serverCaps;
    /** Client and backend number the login exchange differently once the proxy sent one of them its own packets. */
    private final SequenceMapping seqs = new SequenceMapping();
    private int lastClientSeq;
    private HandshakeV10 handshake;
    /** connect_server answered with its own greeting: there is no backend, the script plays the server. */
    private LoginWithoutBackend withoutBackend;
    private final LoginHooks hooks;
    /** The second login a routing script asked for ({@code extra_backend_ndx}). */
    private final SecondLogin second;
    /** The backend's answers once the client's login went to it. */
    private final LoginResult result;
    /** The client's login once its handshake response arrived, else null. */
    private ClientLogin login;
    /** This login's place among the listener's logins in progress, given back when it ends either way. */
    private final LoginGate.Slot slot;
    /** A pooled connection the client was given: its login becomes COM_CHANGE_USER. */
    private final PooledTakeover takeover;

    LoginRelay(ClientSession session, Listener listener, ProxyContext context, ByteBufAllocator alloc,
               LoginGate.Slot slot) {
        this.session = session;
        this.slot = slot;
        this.listener = listener;
        this.context = context;
        this.client = listener.channelOf(session);
        this.fromClient = new PacketAssembler(alloc, MAX_LOGIN_PACKET);
        this.fromServer = new PacketAssembler(alloc, MAX_LOGIN_PACKET);
        this.acquirer = new BackendAcquirer(listener, context, client.eventLoop(),
                "session " + session.id() + " (client " + client.remoteAddress() + ")",
                () -> new BackendHandler(session, false), new Acquisition());
        this.takeover = new PooledTakeover(session, listener, client);
        this.hooks = new LoginHooks(session, client, () -> {
            if (backendClosed()) {
                serverLost();
            }
        });
        this.second = new SecondLogin(session, listener, context, client, new FirstLoginView(), MAX_LOGIN_PACKET);
        this.result = new LoginResult(session, client, hooks, seqs, second, this::backendClosed, this::authFinished);
    }

    void start() {
        ScriptSession script = session.scriptSession();
        if (script != null && script.hasConnectServer()) {
            hooks.whenDone(script.connectServer(session.connectionInfo()), () -> { }, this::connectServerDecided);
            return;
        }
        second.want(splitReplica());
        acquirer.start(listener.candidates());
    }

    /** After {@code connect_server}: the script's backend first, or the script answers the client itself. */
    private void connectServerDecided(HookOutcome outcome) {
        if (outcome.error() != null) {
            session.closeWithError(0, ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_PROXY, outcome.error());
            return;
        }
        if (outcome.action() == HookOutcome.SEND_RESULT) {
            List<byte[]> packets = outcome.response();
            boolean greeting = LoginHooks.answerStartsWith(packets, HandshakeV10.PROTOCOL_VERSION);
            if (!greeting) {
                session.closeAfter(PacketFramer.frameAll(client.alloc(), 0, packets));
                return;
            }
            handshake = HandshakeV10.decode(Unpooled.wrappedBuffer(packets.get(0)));
            serverCaps = handshake.capabilities();
            withoutBackend = new LoginWithoutBackend(session, client, hooks, this::acceptedWithoutBackend);
            client.writeAndFlush(PacketFramer.frameAll(client.alloc(), 0, packets));
            session.transition(SessionState.READ_AUTH);
            processClientPackets();
            return;
        }
        second.want(outcome.extraBackendNdx() > 0 ? outcome.extraBackendNdx() : splitReplica());
        acquirer.start(listener.candidatesPreferring(outcome.backendNdx()));
    }

    /**
     * On a listener that splits reads from writes, the replica the client logs into as well, so that the replica's
     * pool has connections of its user for its reads (the proxy has no password to open them by itself); else 0.
     */
    private int splitReplica() {
        return listener.routing().splits() ? listener.replicaForLogin() : 0;
    }

    /** Where the login's backend connection comes from ({@link BackendAcquirer}) reports to. */
    private final class Acquisition implements BackendAcquirer.Receiver {
        @Override
        public void connected(Backend backend, Channel channel) {
            server = channel;
            session.links().connected(backend, server);
            session.transition(SessionState.READ_HANDSHAKE);
        }

        @Override
        public void takeOver(Backend backend, PooledConnection idle) {
            reuse(backend, idle);
        }

        @Override
        public void failed(int code, String sqlState, String message) {
            session.closeWithError(0, code, sqlState, message);
        }

        @Override
        public boolean mayTakePooled() {
            // a pooled connection logs the client in through the server's own auth switch; clients take only one,
            // and a second login needs it
            return !takeover.replacing() && !second.requested();
        }

        @Override
        public boolean gone() {
            return session.state() == SessionState.CLOSED || session.state().authenticated();
        }
    }

    /** What the second login reads of this one. */
    private final class FirstLoginView implements SecondLogin.FirstLogin {
        @Override
        public long clientCapabilities() {
            return login == null ? 0 : login.capabilities();
        }

        @Override
        public long serverCapabilities() {
            return serverCaps;
        }

        @Override
        public boolean mayAskAgain() {
            return result.acceptedAtOnce() && login != null && login.canSwitch(serverCaps);
        }

        @Override
        public ClientLogin login() {
            return login;
        }

        @Override
        public void finish(Packet ok, int seq) {
            forward(client, ok, seq);
            authFinished(Packets.OK);
        }
    }

    @Override
    public void serverRead(ByteBuf buf) {
        fromServer.add(buf);
        try {
            Packet packet;
            while (!hooks.pending() && session.state() != SessionState.CLOSED && !session.state().authenticated()
                    && (packet = fromServer.next()) != null) {
                if (session.state() == SessionState.READ_HANDSHAKE) {
                    greeting(packet);
                } else {
                    result.read(packet);
                }
            }
        } catch (MalformedPacketException e) {
            LOG.warnf("session %d: backend %s sent a malformed packet during login: %s", session.id(),
                    session.backend().address(), e.getMessage());
            session.closeWithError(session.state() == SessionState.READ_HANDSHAKE ? 0 : lastClientSeq + 1,
                    ErrorCodes.BAD_HANDSHAKE, ErrorCodes.STATE_CONNECTION_FAILURE,
                    "mysqlproxy: backend sent a malformed packet during login: " + e.getMessage());
        }
    }

    @Override
    public void clientRead(ByteBuf buf) {
        fromClient.add(buf);
        processClientPackets();
    }

    private void processClientPackets() {
        try {
            Packet packet;
            while (!hooks.pending()
                    && (session.state() == SessionState.READ_AUTH || session.state() == SessionState.READ_AUTH_RESULT)
                    && (packet = fromClient.next()) != null) {
                lastClientSeq = packet.seq();
                if (session.state() == SessionState.READ_AUTH) {
                    handshakeResponse(packet);
                } else if (takeover.awaitingAnswer()) {
                    takeover.answer(packet, server, login, seqs);
                } else if (second.awaitingAnswer()) {
                    second.answer(packet);
                } else {
                    forward(server, packet, seqs.toServer(packet.seq()));
                }
            }
        } catch (MalformedPacketException e) {
            LOG.warnf("session %d: client %s sent a malformed packet during login: %s", session.id(),
                    client.remoteAddress(), e.getMessage());
            session.closeWithError(lastClientSeq + 1, ErrorCodes.BAD_HANDSHAKE, ErrorCodes.STATE_CONNECTION_FAILURE,
                    "Bad handshake: " + e.getMessage());
        }
    }

    private void greeting(Packet packet) {
        if (packet.firstByte() == Packets.ERR) {
            // the server refuses us (too many connections, host blocked): the client gets its words
            LOG.warnf("session %d: backend %s refused the connection", session.id(), session.backend().address());
            session.closeAfter(PacketFramer.frame(client.alloc(), 0, packet.payload()));
            return;
        }
        HandshakeV10 decoded;
        try {
            decoded = HandshakeV10.decode(packet.payload());
        } finally {
            packet.payload().release();
        }
        session.backend().greeted();
        if (takeover.replacing()) {
            switchToFreshScramble(decoded);
            return;
        }
        onGreeting(decoded, packet.seq());
    }

    /** A pooled connection: the client gets the greeting that connection had, so its login answers that scramble. */
    private void reuse(Backend backend, PooledConnection idle) {
        takeover.took(idle);
        server = idle.channel();
        BackendHandler.of(idle.channel()).lend(session, false);
        session.links().connected(backend, idle.channel());
        session.transition(SessionState.READ_HANDSHAKE);
        LOG.debugf("session %d: client %s gets a pooled connection to %s (was '%s')", session.id(),
                client.remoteAddress(), backend.address(), idle.user());
        onGreeting(idle.greeting(), 0);
    }

    private void onGreeting(HandshakeV10 greeting, int seq) {
        handshake = greeting;
        serverCaps = handshake.capabilities();
        session.links().greeted(handshake);
        ScriptSession script = session.scriptSession();
        if (script != null && script.has("read_handshake")) {
            hooks.then(script.readHandshake(session.connectionInfo()), seq, () -> { }, outcome -> sendGreeting(seq));
            return;
        }
        sendGreeting(seq);
    }

    private void sendGreeting(int seq) {
        long caps = serverCaps & ~Capabilities.UNSUPPORTED & ~Capabilities.CLIENT_SSL;
        if (listener.clientTlsEnabled()) {
            caps |= Capabilities.CLIENT_SSL;
        }
        ByteBuf out = client.alloc().buffer(128);
        HandshakeV10 sent = handshake.withCapabilities(caps);
        if (listener.multiplexes()) {
            // the backend's thread id would name a connection other clients use too: KILL gets the proxy's id
            sent = sent.withConnectionId(Multiplexer.clientThreadId(session.id()));
        }
        sent.encode(out);
        client.writeAndFlush(PacketFramer.frame(client.alloc(), seq, out));
        session.transition(SessionState.READ_AUTH);
        processClientPackets();
    }

    private void handshakeResponse(Packet packet) {
        ByteBuf payload = packet.payload();
        if (HandshakeResponse.isSslRequest(payload)) {
            payload.release();
            startClientTls();
            return;
        }
        if (listener.config().tls().mode() == ClientTlsMode.REQUIRED && !LoginTls.onClient(client)) {
            payload.release();
            session.closeWithError(packet.seq() + 1, ErrorCodes.SECURE_TRANSPORT_REQUIRED, ErrorCodes.STATE_GENERAL,
                    "Connections using insecure transport are prohibited by listener " + listener.name());
            return;
        }
        HandshakeResponse response;
        try {
            response = HandshakeResponse.decode(payload.duplicate());
        } catch (MalformedPacketException e) {
            payload.release();
            throw e;
        }
        ScriptSession script = session.scriptSession();
        boolean readAuth = script != null && script.has("read_auth");
        int seq = packet.seq();
        if (withoutBackend != null) {
            payload.release();
            session.loggedIn(handshake, response, response.capabilities() & serverCaps);
            withoutBackend.login(seq);
            return;
        }
        boolean backendTls = LoginTls.wantedToBackend(context.backendTls().mode(), serverCaps);
        if (backendTls && !Capabilities.has(serverCaps, Capabilities.CLIENT_SSL)) {
            payload.release();
            session.closeWithError(seq + 1, ErrorCodes.NO_BACKEND,
                    ErrorCodes.STATE_CONNECTION_FAILURE, "mysqlproxy: backend " + session.backend().address()
                            + " does not support TLS, which the proxy requires");
            return;
        }
        long caps = ClientLogin.maskedCapabilities(payload, backendTls);
        login = new ClientLogin(response, caps);
        second.tlsInTheWay(backendTls);
        session.loggedIn(handshake, response, caps & serverCaps);
        LOG.debugf("session %d: client %s logs in as '%s' (plugin %s)", session.id(), client.remoteAddress(),
                response.username(), response.authPluginName());
        if (!readAuth) {
            sendAuth(caps, response, seq, payload, backendTls);
            return;
        }
        hooks.then(script.readAuth(session.connectionInfo()), seq + 1, payload::release, outcome -> {
            second.want(outcome.extraBackendNdx());
            if (outcome.action() == HookOutcome.SEND_QUERY && !outcome.queries().isEmpty()) {
                // the script rewrote the login (MySQL Proxy's tutorial-scramble does this)
                payload.release();
                ByteBuf replaced = login.rewrittenBy(outcome.queries().get(0).packet(), server.alloc());
                sendAuth(caps, response, seq, replaced, backendTls);
            } else {
                sendAuth(caps, response, seq, payload, backendTls);
            }
        });
    }

    private void sendAuth(long caps, HandshakeResponse response, int seq, ByteBuf payload, boolean backendTls) {
        session.transition(SessionState.READ_AUTH_RESULT);
        if (takeover.pooled()) {
            payload.release();
            takeover.login(server, login, serverCaps, seq, seqs, backend -> {
                server = null;
                acquirer.freshTo(backend);
            });
        } else if (backendTls) {
            startBackendTls(caps, response, seq, payload);
        } else {
            seqs.align(seq, 1);
            forward(server, new Packet(seq, payload), 1);
        }
        processClientPackets();
    }

    private void switchToFreshScramble(HandshakeV10 fresh) {
        handshake = fresh;
        serverCaps = fresh.capabilities();
        session.links().greeted(fresh);
        session.transition(SessionState.READ_AUTH_RESULT);
        takeover.freshGreeting(fresh);
    }

    private void acceptedWithoutBackend() {
        ByteBuf clientRest = fromClient.drainRemainder();
        release();
        session.authenticated(clientRest, client.alloc().buffer(0));
    }

    private void startClientTls() {
        if (!listener.clientTlsEnabled()) {
            session.closeWithError(2, ErrorCodes.BAD_HANDSHAKE, ErrorCodes.STATE_CONNECTION_FAILURE,
                    "Bad handshake: TLS is not enabled on listener " + listener.name());
            return;
        }
        LoginTls.acceptClient(listener, client, fromClient.drainRemainder());
    }

    private void startBackendTls(long caps, HandshakeResponse response, int clientSeq, ByteBuf payload) {
        seqs.align(clientSeq, 2);
        LoginTls.toBackend(session, context, server, caps, response, clientSeq + 1, payload::release,
                () -> forward(server, new Packet(clientSeq, payload), 2));
    }

    private void authFinished(int first) {
        if (first == Packets.OK) {
            ByteBuf clientRest = fromClient.drainRemainder();
            ByteBuf serverRest = fromServer.drainRemainder();
            release();
            session.authenticated(clientRest, serverRest);
        } else if (first == Packets.ERR) {
            listener.metrics().authFailed();
            LOG.debugf("session %d: backend %s refused the login of client %s", session.id(),
                    session.backend().address(), client.remoteAddress());
            session.closeAfterFlush();
        }
    }

    /** Bytes from the second login's backend. */
    @Override
    public void secondServerRead(Channel from, ByteBuf buf) {
        second.read(from, buf);
    }

    @Override
    public void secondServerLost(Channel from) {
        second.closed(from);
    }

    /** A login is never quiet: a session ending during it ends with an error, never between commands. */
    @Override
    public boolean quiet() {
        return false;
    }

    /** {@code packet}'s payload to {@code to}, numbered {@code seq}: one login packet relayed. */
    static void forward(Channel to, Packet packet, int seq) {
        to.writeAndFlush(PacketFramer.frame(to.alloc(), seq & 0xFF, packet.payload()));
    }

    @Override
    public void serverLost() {
        if (hooks.pending()) {
            return; // decided when the hook returns (backendClosed): the backend's last answer may still be relayed
        }
        if (session.state() == SessionState.READ_HANDSHAKE && !takeover.replacing()) {
            // nothing of this backend reached the client yet: like a refused connection, try the next one
            Backend lost = session.backend();
            session.links().released();
            server = null;
            fromServer.drainRemainder().release();
            acquirer.closedBeforeGreeting(lost);
            return;
        }
        if (session.state() == SessionState.READ_HANDSHAKE || session.state() == SessionState.CONNECT_SERVER) {
            session.closeWithError(0, ErrorCodes.NO_BACKEND, ErrorCodes.STATE_CONNECTION_FAILURE,
                    "mysqlproxy: backend " + session.backend().address() + " closed the connection before its greeting");
        } else {
            session.closeWithError(lastClientSeq + 1, ErrorCodes.NO_BACKEND, ErrorCodes.STATE_CONNECTION_FAILURE,
                    "mysqlproxy: lost connection to backend " + session.backend().address()
                            + " during authentication");
        }
    }

    /** The login's backend connection closed (while a hook ran, the loss waits until it decided). */
    private boolean backendClosed() {
        return server != null && !server.isActive();
    }

    /** A login must end within the handshake timeout (counted so that it never strikes early). */
    @Override
    public void timePassed(long tickMillis, long quietMillis) {
        long timeout = context.limits().handshakeTimeoutMillis();
        if (timeout <= 0) {
            return;
        }
        if (loginMillis >= timeout) {
            Timeouts.loginTimedOut(session, timeout, lastClientSeq);
        } else {
            loginMillis += tickMillis;
        }
    }

    @Override
    public void release() {
        slot.release();
        fromClient.release();
        fromServer.release();
        second.release();
    }
}
