package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.config.BackendTlsMode;
import io.mysqlproxy.config.ClientTlsMode;
import io.mysqlproxy.protocol.AuthSwitchRequest;
import io.mysqlproxy.protocol.Capabilities;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.HandshakeV10;
import io.mysqlproxy.protocol.MalformedPacketException;
import io.mysqlproxy.protocol.NativePassword;
import io.mysqlproxy.protocol.OkPacket;
import io.mysqlproxy.protocol.Packet;
import io.mysqlproxy.protocol.PacketAssembler;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.scripting.HookOutcome;
import io.mysqlproxy.scripting.ScriptSession;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The connection phase of a session: relay the backend's greeting with the capabilities the proxy cannot relay
 * masked, terminate TLS on each side, and relay the authentication exchange whatever the plugin, re-numbering
 * sequence ids when TLS was set up on one side only; run the login hooks; log the client into a pooled connection
 * with COM_CHANGE_USER. The connection itself comes from a {@link BackendAcquirer}; a second login a script asks for
 * is a {@link SecondLogin}.
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
    private ScheduledFuture<?> timer;
    private Channel server;
    private long serverCaps;
    private boolean deprecateEof;
    /** Client and backend number the login exchange differently once the proxy sent one of them its own packets. */
    private final SequenceMapping seqs = new SequenceMapping();
    private int lastClientSeq;
    private boolean clientTls;
    private HandshakeV10 handshake;
    /** connect_server answered with its own greeting: there is no backend, logins are accepted by the proxy. */
    private boolean withoutBackend;
    /** A login hook is running on the scripting thread: packets wait in the assemblers until it has decided. */
    private boolean hookPending;
    private boolean backendGone;
    /** The second login a routing script asked for ({@code extra_backend_ndx}). */
    private final SecondLogin second;
    /** Server packets of the authentication exchange before its result: 0 when the first reply was the result. */
    private int authExchanges;
    private long loginCaps;
    private HandshakeResponse loginResponse;
    /** A pooled connection this client was given: its login becomes COM_CHANGE_USER. */
    private IdlePool.Idle reused;
    /** The pooled connection did not fit the client: a fresh one was opened, its scramble goes to the client. */
    private boolean switchAfterGreeting;
    private int switchSeq;
    private boolean awaitingSwitchAnswer;

    LoginRelay(ClientSession session, Listener listener, ProxyContext context, ByteBufAllocator alloc) {
        this.session = session;
        this.listener = listener;
        this.context = context;
        this.client = listener.channelOf(session);
        this.fromClient = new PacketAssembler(alloc, MAX_LOGIN_PACKET);
        this.fromServer = new PacketAssembler(alloc, MAX_LOGIN_PACKET);
        this.acquirer = new BackendAcquirer(listener, context, client.eventLoop(),
                "session " + session.id() + " (client " + client.remoteAddress() + ")",
                () -> new BackendHandler(session, false), new Acquisition());
        this.second = new SecondLogin(session, listener, context, client, new FirstLoginView(), MAX_LOGIN_PACKET);
    }

    void start() {
        long timeout = context.limits().handshakeTimeoutMillis();
        if (timeout > 0) {
            timer = client.eventLoop().schedule(this::timedOut, timeout, TimeUnit.MILLISECONDS);
        }
        ScriptSession script = session.scriptSession();
        if (script != null && script.hasConnectServer()) {
            whenHookDone(script.connectServer(session.connectionInfo()), () -> { }, this::connectServerDecided);
            return;
        }
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
            boolean greeting = startsWith(packets, HandshakeV10.PROTOCOL_VERSION);
            if (!greeting) {
                session.closeAfter(PacketFramer.frameAll(client.alloc(), 0, packets));
                return;
            }
            handshake = HandshakeV10.decode(Unpooled.wrappedBuffer(packets.get(0)));
            serverCaps = handshake.capabilities();
            withoutBackend = true;
            client.writeAndFlush(PacketFramer.frameAll(client.alloc(), 0, packets));
            session.transition(SessionState.READ_AUTH);
            processClientPackets();
            return;
        }
        List<Backend> order = new ArrayList<>(listener.candidates());
        if (outcome.backendNdx() > 0) {
            Backend picked = listener.backends().get(outcome.backendNdx() - 1);
            order.remove(picked);
            if (picked.state().acceptsConnections()) {
                order.add(0, picked);
            }
        }
        second.want(outcome.extraBackendNdx());
        acquirer.start(order);
    }

    /** Whether a script's answer begins with a packet whose first byte is {@code first}. */
    private static boolean startsWith(List<byte[]> payloads, int first) {
        return !payloads.isEmpty() && payloads.get(0).length > 0 && (payloads.get(0)[0] & 0xFF) == first;
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
        public void takeOver(Backend backend, IdlePool.Idle idle) {
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
            return !switchAfterGreeting && !second.requested();
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
            return loginCaps;
        }

        @Override
        public long serverCapabilities() {
            return serverCaps;
        }

        @Override
        public boolean mayAskAgain() {
            return authExchanges == 0 && clientCanSwitch();
        }

        @Override
        public HandshakeResponse answering(byte[] auth, long capabilities) {
            return loginAnswering(auth, capabilities);
        }

        @Override
        public ByteBuf loginWith(byte[] auth, Channel to) {
            return LoginRelay.this.loginWith(auth, to);
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
            while (!hookPending && session.state() != SessionState.CLOSED && !session.state().authenticated()
                    && (packet = fromServer.next()) != null) {
                if (session.state() == SessionState.READ_HANDSHAKE) {
                    greeting(packet);
                } else {
                    authResult(packet);
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
            while (!hookPending
                    && (session.state() == SessionState.READ_AUTH || session.state() == SessionState.READ_AUTH_RESULT)
                    && (packet = fromClient.next()) != null) {
                lastClientSeq = packet.seq();
                if (session.state() == SessionState.READ_AUTH) {
                    handshakeResponse(packet);
                } else if (awaitingSwitchAnswer) {
                    awaitingSwitchAnswer = false;
                    byte[] auth = ByteBufUtil.getBytes(packet.payload());
                    packet.payload().release();
                    seqs.align(packet.seq(), 1);
                    server.writeAndFlush(PacketFramer.frame(server.alloc(), 1, loginWith(auth, server)));
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
        if (switchAfterGreeting) {
            switchToFreshScramble(decoded);
            return;
        }
        onGreeting(decoded, packet.seq());
    }

    /** A pooled connection: the client gets the greeting that connection had, so its login answers that scramble. */
    private void reuse(Backend backend, IdlePool.Idle idle) {
        reused = idle;
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
            afterHook(script.readHandshake(session.connectionInfo()), seq, () -> { }, outcome -> sendGreeting(seq));
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

    /**
     * Runs a login hook, then goes on with {@code next} on the event loop unless the script answered the client
     * itself (the connection then closes after that answer) or failed.
     */
    private void afterHook(CompletableFuture<HookOutcome> hook, int answerSeq,
                           Runnable onAbort, Consumer<HookOutcome> next) {
        whenHookDone(hook, onAbort, outcome -> {
            if (outcome.error() != null || outcome.action() == HookOutcome.SEND_RESULT) {
                onAbort.run();
            }
            if (outcome.error() != null) {
                session.closeWithError(answerSeq, ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_PROXY,
                        outcome.error());
            } else if (outcome.action() == HookOutcome.SEND_RESULT) {
                session.closeAfter(PacketFramer.frameAll(client.alloc(), answerSeq, outcome.response()));
            } else {
                next.accept(outcome);
                if (backendGone) {
                    serverLost();
                }
            }
        });
    }

    /**
     * The one continuation of a login hook: {@code then} runs with the hook's outcome on the client's event loop,
     * unless the session closed meanwhile ({@code onAbort} runs then, to let go of what waited for the hook).
     * Packets wait in the assemblers while the hook runs.
     */
    private void whenHookDone(CompletableFuture<HookOutcome> hook, Runnable onAbort, Consumer<HookOutcome> then) {
        hookPending = true;
        hook.thenAccept(outcome -> client.eventLoop().execute(() -> {
            hookPending = false;
            if (session.state() == SessionState.CLOSED) {
                onAbort.run();
            } else {
                then.accept(outcome);
            }
        }));
    }

    private void handshakeResponse(Packet packet) {
        ByteBuf payload = packet.payload();
        if (HandshakeResponse.isSslRequest(payload)) {
            payload.release();
            startClientTls();
            return;
        }
        if (listener.config().tls().mode() == ClientTlsMode.REQUIRED && !clientTls) {
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
        if (withoutBackend) {
            payload.release();
            deprecateEof = Capabilities.has(response.capabilities() & serverCaps, Capabilities.CLIENT_DEPRECATE_EOF);
            session.loggedIn(handshake, response, response.capabilities() & serverCaps);
            if (readAuth) {
                readAuthWithoutBackend(script, seq);
            } else {
                acceptWithoutBackend(null, seq);
            }
            return;
        }
        boolean backendTls = context.backendTls().mode() == BackendTlsMode.REQUIRED
                || context.backendTls().mode() == BackendTlsMode.PREFERRED
                && Capabilities.has(serverCaps, Capabilities.CLIENT_SSL);
        if (backendTls && !Capabilities.has(serverCaps, Capabilities.CLIENT_SSL)) {
            payload.release();
            session.closeWithError(seq + 1, ErrorCodes.NO_BACKEND,
                    ErrorCodes.STATE_CONNECTION_FAILURE, "mysqlproxy: backend " + session.backend().address()
                            + " does not support TLS, which the proxy requires");
            return;
        }
        long caps = maskedCapabilities(payload, backendTls);
        loginCaps = caps;
        loginResponse = response;
        second.tlsInTheWay(backendTls);
        deprecateEof = Capabilities.has(caps & serverCaps, Capabilities.CLIENT_DEPRECATE_EOF);
        session.loggedIn(handshake, response, caps & serverCaps);
        LOG.debugf("session %d: client %s logs in as '%s' (plugin %s)", session.id(), client.remoteAddress(),
                response.username(), response.authPluginName());
        if (!readAuth) {
            sendAuth(caps, response, seq, payload, backendTls);
            return;
        }
        afterHook(script.readAuth(session.connectionInfo()), seq + 1, payload::release, outcome -> {
            second.want(outcome.extraBackendNdx());
            if (outcome.action() == HookOutcome.SEND_QUERY && !outcome.queries().isEmpty()) {
                // the script rewrote the login (MySQL Proxy's tutorial-scramble does this)
                payload.release();
                ByteBuf replaced = rewrittenLogin(outcome.queries().get(0).packet(), caps, response);
                sendAuth(caps, response, seq, replaced, backendTls);
            } else {
                sendAuth(caps, response, seq, payload, backendTls);
            }
        });
    }

    /**
     * A login packet a script built, re-encoded with the client's capabilities: the client goes on speaking the
     * protocol it negotiated, whatever flags the script's packet carried. Connection attributes are dropped.
     */
    private ByteBuf rewrittenLogin(byte[] packet, long clientCaps, HandshakeResponse original) {
        HandshakeResponse r = HandshakeResponse.decode(Unpooled.wrappedBuffer(packet));
        ByteBuf out = server.alloc().buffer(packet.length + 16);
        new HandshakeResponse(clientCaps & ~Capabilities.CLIENT_CONNECT_ATTRS, original.maxPacketSize(), r.charset(),
                r.username(), r.authResponse(), r.database() != null ? r.database() : original.database(),
                r.authPluginName() != null ? r.authPluginName() : "mysql_native_password").encode(out);
        return out;
    }

    /** The client's capabilities without what the proxy cannot relay, written back into the auth packet. */
    private static long maskedCapabilities(ByteBuf payload, boolean backendTls) {
        long caps = HandshakeResponse.readCapabilities(payload) & ~Capabilities.UNSUPPORTED & ~Capabilities.CLIENT_SSL;
        if (backendTls) {
            caps |= Capabilities.CLIENT_SSL;
        }
        HandshakeResponse.writeCapabilities(payload, caps);
        return caps;
    }

    private void sendAuth(long caps, HandshakeResponse response, int seq, ByteBuf payload, boolean backendTls) {
        session.transition(SessionState.READ_AUTH_RESULT);
        if (reused != null) {
            payload.release();
            if (reused.fits(caps & serverCaps)) {
                changeUser(response, caps & serverCaps, seq);
            } else {
                replaceReused(response, seq);
            }
        } else if (backendTls) {
            startBackendTls(caps, response, seq, payload);
        } else {
            seqs.align(seq, 1);
            forward(server, new Packet(seq, payload), 1);
        }
        processClientPackets();
    }

    /**
     * Logs the client into a pooled connection: COM_CHANGE_USER with the client's answer to the connection's own
     * scramble, which the server checks as a login and which resets the session.
     */
    private void changeUser(HandshakeResponse response, long negotiated, int seq) {
        seqs.align(seq, 0);
        sendChangeUser(server, response, negotiated);
    }

    /** COM_CHANGE_USER with {@code response}'s user, answer and database, to a logged-in connection. */
    static void sendChangeUser(Channel to, HandshakeResponse response, long negotiated) {
        ByteBuf out = to.alloc().buffer(64 + response.authResponse().length);
        response.encodeChangeUser(out, negotiated);
        to.writeAndFlush(PacketFramer.frame(to.alloc(), 0, out));
    }

    /**
     * The pooled connection negotiated other capabilities than this client: it goes back to the pool and a fresh
     * connection is opened; the client is asked to answer that connection's scramble (an auth switch, which
     * mysql_native_password clients can do). Other clients are asked to reconnect.
     */
    private void replaceReused(HandshakeResponse response, int seq) {
        IdlePool.Idle idle = reused;
        reused = null;
        Backend backend = session.backend();
        session.links().released();
        server = null;
        IdlePool pool = listener.pool(backend);
        if (pool.crowdedWithout(idle) || !pool.offer(idle)) {
            IdlePool.discard(idle);
        }
        if (!clientCanSwitch()) {
            session.closeWithError(seq + 1, ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_CONNECTION_FAILURE,
                    "mysqlproxy: the pooled backend connection does not fit this client; please reconnect");
            return;
        }
        switchAfterGreeting = true;
        switchSeq = seq + 1;
        acquirer.freshTo(backend);
    }

    private void switchToFreshScramble(HandshakeV10 fresh) {
        handshake = fresh;
        serverCaps = fresh.capabilities();
        session.links().greeted(fresh);
        session.transition(SessionState.READ_AUTH_RESULT);
        awaitingSwitchAnswer = true;
        askToAnswer(client, fresh, switchSeq);
    }

    /** Asks the client to authenticate again, answering {@code greeting}'s scramble. */
    static void askToAnswer(Channel client, HandshakeV10 greeting, int seq) {
        ByteBuf out = client.alloc().buffer(48);
        AuthSwitchRequest.nativePassword(greeting).encode(out);
        client.writeAndFlush(PacketFramer.frame(client.alloc(), seq & 0xFF, out));
    }

    /** The client's first login with {@code auth} as its mysql_native_password answer. */
    private HandshakeResponse loginAnswering(byte[] auth, long caps) {
        return new HandshakeResponse(caps, loginResponse.maxPacketSize(), loginResponse.charset(),
                loginResponse.username(), auth, loginResponse.database(), NativePassword.PLUGIN);
    }

    /** A login for a fresh connection: the client's first login with its answer to that connection's scramble. */
    private ByteBuf loginWith(byte[] auth, Channel to) {
        ByteBuf login = to.alloc().buffer(128);
        loginAnswering(auth, loginCaps & ~Capabilities.CLIENT_CONNECT_ATTRS).encode(login);
        return login;
    }

    /**
     * Whether the client can be asked to authenticate again: it logged in with mysql_native_password and takes
     * auth switches.
     */
    private boolean clientCanSwitch() {
        String plugin = loginResponse == null ? null : loginResponse.authPluginName();
        return Capabilities.has(loginCaps & serverCaps, Capabilities.CLIENT_PLUGIN_AUTH)
                && (plugin == null || plugin.isEmpty() || NativePassword.PLUGIN.equals(plugin));
    }

    /** Without a backend, {@code read_auth} may refuse the client or answer with an OK of its own. */
    private void readAuthWithoutBackend(ScriptSession script, int seq) {
        whenHookDone(script.readAuth(session.connectionInfo()), () -> { }, outcome -> {
            if (outcome.error() != null) {
                session.closeWithError(seq + 1, ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_PROXY, outcome.error());
            } else if (outcome.action() == HookOutcome.SEND_RESULT) {
                List<byte[]> answer = outcome.response();
                if (startsWith(answer, Packets.OK)) {
                    acceptWithoutBackend(PacketFramer.frameAll(client.alloc(), seq + 1, answer), seq);
                } else {
                    session.closeAfter(PacketFramer.frameAll(client.alloc(), seq + 1, answer));
                }
            } else {
                acceptWithoutBackend(null, seq);
            }
        });
    }

    private void acceptWithoutBackend(ByteBuf answer, int seq) {
        if (answer == null) {
            answer = OkPacket.framedPlain(client.alloc(), seq + 1);
        }
        client.writeAndFlush(answer);
        cancelTimer();
        ByteBuf clientRest = fromClient.drainRemainder();
        release();
        session.authenticated(deprecateEof, clientRest, client.alloc().buffer(0));
    }

    private void startClientTls() {
        if (!listener.clientTlsEnabled()) {
            session.closeWithError(2, ErrorCodes.BAD_HANDSHAKE, ErrorCodes.STATE_CONNECTION_FAILURE,
                    "Bad handshake: TLS is not enabled on listener " + listener.name());
            return;
        }
        clientTls = true;
        SslHandler tls = listener.clientSsl().newHandler(client.alloc());
        ByteBuf early = fromClient.drainRemainder();
        client.pipeline().addFirst("tls", tls);
        tls.handshakeFuture().addListener(f -> listener.metrics().tlsHandshake(f.isSuccess()));
        // Bytes that came with the TLS request are the start of the client's handshake: they go through the new
        // handler now, before any later read does, or the handshake would see its bytes out of order. Nothing
        // comes back up from them: the client can send data only after the proxy answers its hello.
        if (early.isReadable()) {
            client.pipeline().fireChannelRead(early);
        } else {
            early.release();
        }
    }

    private void startBackendTls(long caps, HandshakeResponse response, int clientSeq, ByteBuf payload) {
        ByteBuf request = server.alloc().buffer(HandshakeResponse.FIXED_LENGTH);
        HandshakeResponse.encodeFixedPart(request, caps, response.maxPacketSize(), response.charset());
        server.writeAndFlush(PacketFramer.frame(server.alloc(), 1, request));
        SslHandler tls = TlsContexts.backendHandler(context.backendSsl(), server.alloc(),
                session.backend().address(), context.backendTls().verify());
        server.pipeline().addFirst("tls", tls);
        seqs.align(clientSeq, 2);
        tls.handshakeFuture().addListener(f -> {
            if (f.isSuccess()) {
                forward(server, new Packet(clientSeq, payload), 2);
            } else {
                payload.release();
                LOG.warnf("session %d: TLS to backend %s failed: %s", session.id(), session.backend().address(),
                        f.cause().getMessage());
                session.closeWithError(clientSeq + 1, ErrorCodes.NO_BACKEND,
                        ErrorCodes.STATE_CONNECTION_FAILURE, "mysqlproxy: TLS to backend "
                                + session.backend().address() + " failed: " + f.cause().getMessage());
            }
        });
    }

    private void authResult(Packet packet) {
        int first = packet.firstByte();
        if (first != Packets.OK && first != Packets.ERR) {
            authExchanges++;
        }
        ScriptSession script = session.scriptSession();
        if ((first == Packets.OK || first == Packets.ERR) && script != null && script.has("read_auth_result")) {
            int seq = seqs.toClient(packet.seq());
            byte[] reply = ByteBufUtil.getBytes(packet.payload());
            whenHookDone(script.readAuthResult(session.connectionInfo(), reply), () -> packet.payload().release(),
                    outcome -> authResultDecided(outcome, packet, seq));
            return;
        }
        deliverAuthResult(packet, seqs.toClient(packet.seq()));
    }

    /**
     * The backend's final word on the login goes to the client, unless it is an OK and a second login was asked
     * for: then the OK waits until the client has answered for the second backend too.
     */
    private void deliverAuthResult(Packet packet, int seq) {
        int first = packet.firstByte();
        if (first == Packets.OK && second.holdOk(packet, seq)) {
            return;
        }
        second.abandon();
        forward(client, packet, seq);
        authFinished(first);
    }

    /** After {@code read_auth_result}: the backend's reply goes to the client, or the script's replacement. */
    private void authResultDecided(HookOutcome outcome, Packet packet, int seq) {
        if (outcome.error() != null) {
            packet.payload().release();
            session.closeWithError(seq, ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_PROXY, outcome.error());
            return;
        }
        int first = packet.firstByte();
        if (outcome.action() == HookOutcome.SEND_RESULT) {
            packet.payload().release();
            List<byte[]> answer = outcome.response();
            boolean ok = startsWith(answer, Packets.OK);
            second.abandon();
            client.writeAndFlush(PacketFramer.frameAll(client.alloc(), seq, answer));
            // the client is logged in only if both the backend and the script said so
            authFinished(first == Packets.OK && ok ? Packets.OK : Packets.ERR);
            if (backendGone && session.state() != SessionState.CLOSED) {
                session.close();
            }
            return;
        }
        deliverAuthResult(packet, seq);
        if (backendGone && session.state() != SessionState.CLOSED) {
            session.close();
        }
    }

    private void authFinished(int first) {
        if (first == Packets.OK) {
            cancelTimer();
            ByteBuf clientRest = fromClient.drainRemainder();
            ByteBuf serverRest = fromServer.drainRemainder();
            release();
            session.authenticated(deprecateEof, clientRest, serverRest);
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

    @Override
    public void clientWritabilityChanged(boolean writable) {
        // the login writes a packet at a time, each an answer to one of the client's
    }

    /** A login is never quiet: a session ending during it ends with an error, never between commands. */
    @Override
    public boolean quiet() {
        return false;
    }

    private static void forward(Channel to, Packet packet, int seq) {
        to.writeAndFlush(PacketFramer.frame(to.alloc(), seq & 0xFF, packet.payload()));
    }

    @Override
    public void serverLost() {
        if (hookPending) {
            backendGone = true; // decided when the hook returns: the backend's last answer may still be relayed
            return;
        }
        if (session.state() == SessionState.READ_HANDSHAKE && !switchAfterGreeting) {
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

    private void timedOut() {
        if (session.state().authenticated() || session.state() == SessionState.CLOSED) {
            return;
        }
        LOG.infof("session %d: client %s did not finish logging in within %d ms (state %s)", session.id(),
                client.remoteAddress(), context.limits().handshakeTimeoutMillis(), session.state());
        int seq = session.state() == SessionState.READ_AUTH_RESULT || session.state() == SessionState.READ_AUTH
                ? lastClientSeq + 1 : 0;
        session.closeWithError(seq, ErrorCodes.NET_READ_INTERRUPTED, ErrorCodes.STATE_CONNECTION_FAILURE,
                "Got timeout reading communication packets (login not finished within "
                        + context.limits().handshakeTimeoutMillis() + " ms)");
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    @Override
    public void release() {
        cancelTimer();
        fromClient.release();
        fromServer.release();
        second.release();
    }
}
