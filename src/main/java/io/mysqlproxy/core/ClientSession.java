package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.config.Limits;
import io.mysqlproxy.metrics.ListenerMetrics;
import io.mysqlproxy.protocol.Capabilities;
import io.mysqlproxy.protocol.ConversationTracker;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.HandshakeResponse;
import io.mysqlproxy.protocol.HandshakeV10;
import io.mysqlproxy.scripting.ConnectionInfo;
import io.mysqlproxy.scripting.ScriptSession;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.jboss.logging.Logger;

import java.net.SocketAddress;

/**
 * One client connection and its backend connections ({@link SessionLinks}). All its sockets live on the same event
 * loop, so nothing here is synchronised. The session holds one {@link SessionPhase} at a time and forwards every
 * event to it: the login ({@link LoginRelay}), then commands relayed as they come ({@link PlainCommands}) or through
 * a script ({@link ScriptedRelay}), with a {@link Multiplexer} lending backend connections per command when the
 * listener multiplexes. What is left here is the session's life: admission, the switch between phases, parking its
 * connections when the client leaves, and ending it (with an error packet when the client can still read one).
 */
public final class ClientSession extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = Logger.getLogger(ClientSession.class);

    private final Listener listener;
    private final ProxyContext context;
    private final FrameRelay relay;
    private final ConversationTracker tracker;
    private final long id;
    private Channel client;
    private final SessionLinks links;
    /** What the session does with its connections' events now: logging in, relaying commands, or closed. */
    private SessionPhase phase = SessionPhase.CLOSED;
    private SessionState state = SessionState.CONNECT_SERVER;
    private boolean draining;
    private ScriptSession scriptSession;
    private HandshakeResponse loginResponse;
    /** The default database once the client changed it after login, else null. */
    private final SessionMirror mirror = new SessionMirror();
    private long capabilities;
    /** Shares the backend connection with other clients between transactions, or null. */
    private Multiplexer mux;

    private final CommandRecorder recorder;
    /** Reads from the client or a backend, as the session clock last saw them, and the ticks since they changed. */
    private int reads;
    private int readsSeen;
    private int quietTicks;
    /** The clock of the session's loop, and where it keeps the session (-1: not watched). */
    private SessionClock clock;
    int clockSlot = -1;

    ClientSession(Listener listener, ProxyContext context, long id) {
        this.listener = listener;
        this.context = context;
        this.id = id;
        this.links = new SessionLinks(listener::backendIndex);
        this.recorder = new CommandRecorder(this, listener.metrics(), context.metrics().digests(),
                context.monitoring());
        this.relay = new FrameRelay(this, context.limits(), recorder);
        this.tracker = relay.tracker();
    }

    public long id() {
        return id;
    }

    public SessionState state() {
        return state;
    }

    public Backend backend() {
        return links.backend();
    }

    /** The session's backend connections. */
    SessionLinks links() {
        return links;
    }

    SocketAddress clientAddress() {
        return client == null ? null : client.remoteAddress();
    }

    ListenerMetrics metrics() {
        return listener.metrics();
    }

    /** The client's session as the proxy knows it: default database, replayed SETs, last insert id, pin. */
    SessionMirror mirror() {
        return mirror;
    }

    /** The user the client logged in as, or null before its login arrived. */
    String username() {
        return loginResponse == null ? null : loginResponse.username();
    }

    /** The admin's row for this session; read from another thread, for display only. */
    ConnectionRow describe() {
        return SessionViews.forAdmin(this);
    }

    HandshakeResponse loginResponse() {
        return loginResponse;
    }

    /** The capabilities the client and its backend agreed on. */
    long capabilities() {
        return capabilities;
    }

    CommandRecorder recorder() {
        return recorder;
    }

    /** Lends the session backend connections per command, or null when it keeps its own. */
    Multiplexer multiplexer() {
        return mux;
    }

    void transition(SessionState next) {
        if (LOG.isTraceEnabled()) {
            LOG.tracef("session %d %s: %s -> %s", id, clientAddress(), state, next);
        }
        state = next;
    }

    // ---- client side -------------------------------------------------------------------------------------------

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = ctx.channel();
        clock = context.clocks().of(client.eventLoop());
        clock.watch(this);
        if (!listener.admit(this)) {
            closeWithError(0, ErrorCodes.TOO_MANY_CONNECTIONS, ErrorCodes.STATE_CONNECTION_REJECTED,
                    listener.tooManyConnections());
            return;
        }
        LOG.debugf("session %d: client %s connected to listener %s", id, client.remoteAddress(), listener.name());
        LoginGate.Waiter waiter = listener.logins().enter(client.eventLoop(), this::startLogin, this::loginRefused);
        if (waiter != null) {
            phase = new WaitingForLogin(waiter);
        }
    }

    /** A login slot is the session's (at once, or after waiting): the login starts. */
    private void startLogin(LoginGate.Slot slot) {
        if (state == SessionState.CLOSED) {
            slot.release(); // the client left while the slot came
            return;
        }
        scriptSession = listener.attachScript(client.eventLoop());
        LoginRelay login = new LoginRelay(this, listener, context, client.alloc(), slot);
        phase = login;
        login.start();
    }

    /** No login slot came within the queue timeout (or the listener queues none): "Too many connections". */
    private void loginRefused() {
        if (state == SessionState.CLOSED) {
            return;
        }
        LOG.debugf("session %d: client %s refused: %d logins in progress on listener %s", id, clientAddress(),
                listener.logins().limits().maxLogins(), listener.name());
        closeWithError(0, ErrorCodes.TOO_MANY_CONNECTIONS, ErrorCodes.STATE_CONNECTION_REJECTED,
                listener.tooManyLogins());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        reads++;
        listener.metrics().clientBytes(buf.readableBytes());
        phase.clientRead(buf);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushToBackend();
    }

    void flushToBackend() {
        relay.flushBackend(links.server());
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        phase.clientWritabilityChanged(client.isWritable());
    }

    /**
     * A tick of the session clock: the phase judges its timeouts by how long neither the client nor a backend sent
     * anything (counted from the tick that last saw a read: never more than the true quiet time).
     */
    void tick(long tickMillis) {
        if (reads != readsSeen) {
            readsSeen = reads;
            quietTicks = 0;
        } else {
            quietTicks++;
        }
        phase.timePassed(tickMillis, quietTicks * tickMillis);
    }

    /** No timeout applies to the session as it is now (say, paused by a slow client): the quiet time starts over. */
    void stirred() {
        quietTicks = 0;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        LOG.debugf("session %d: client %s disconnected", id, client.remoteAddress());
        phase.clientLeft();
        close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        SessionEnd.peerError(id, "client " + client.remoteAddress(), cause);
        close();
    }

    Channel client() {
        return client;
    }

    /** The plain relay's frame tracking, which scripted sessions share for back-pressure and boundaries. */
    FrameRelay relay() {
        return relay;
    }

    // ---- backend side ------------------------------------------------------------------------------------------

    /** {@code channel}, logged in as this client, as an entry of an idle pool. */
    PooledConnection asPooled(Channel channel, HandshakeV10 itsGreeting) {
        return new PooledConnection(channel, itsGreeting, username(), capabilities,
                new ConnectionState(loginResponse.charset(), mirror.database()));
    }

    void backendRead(ByteBuf buf) {
        reads++;
        listener.metrics().backendBytes(buf.readableBytes());
        phase.serverRead(buf);
    }

    void backendReadComplete() {
        relay.flushClient(client);
    }

    void backendWritabilityChanged(Channel channel) {
        phase.serverWritabilityChanged(channel);
    }

    Limits limits() {
        return context.limits();
    }

    // ---- the second backend connection a routing script asked for (read/write splitting) -------------------------

    void secondServerRead(Channel channel, ByteBuf buf) {
        reads++;
        listener.metrics().backendBytes(buf.readableBytes());
        phase.secondServerRead(channel, buf);
    }

    void secondServerException(Throwable cause) {
        BackendLink second = links.second();
        peerError("second backend", second == null ? null : second.backend(), cause);
    }

    void secondServerInactive(Channel channel) {
        phase.secondServerLost(channel);
    }

    void backendInactive() {
        // else a connection the session no longer holds (given back, or released at login)
        if (links.server() != null) {
            phase.serverLost();
        }
    }

    /** Logged only: the connection's end (it always follows) is handled by {@link #backendInactive}. */
    void backendException(Throwable cause) {
        peerError("backend", links.backend(), cause);
    }

    private void peerError(String which, Backend backend, Throwable cause) {
        SessionEnd.peerError(id, which + " " + (backend == null ? "?" : backend.address()) + " of client "
                + clientAddress(), cause);
    }

    // ---- phases ------------------------------------------------------------------------------------------------

    /** Called by the login relay once the backend accepted the client: from now on bytes stream. */
    void authenticated(ByteBuf clientRest, ByteBuf serverRest) {
        tracker.deprecateEof(Capabilities.has(capabilities, Capabilities.CLIENT_DEPRECATE_EOF));
        transition(SessionState.READ_QUERY);
        LOG.debugf("session %d: client %s authenticated on backend %s", id, client.remoteAddress(),
                links.backend() == null ? "(none: the script answers)" : links.backend().address());
        mux = Multiplexer.afterLogin(this, listener, context.limits());
        CommandPhase commands = scriptSession != null
                ? new ScriptedRelay(this, scriptSession, mux, client, links.server(), tracker,
                        context.limits().maxPacketSize())
                : new PlainCommands(this, mux, relay);
        phase = commands;
        commands.start(clientRest, serverRest);
        if (mux != null) {
            mux.settle();
        }
    }

    // ---- multiplexing ------------------------------------------------------------------------------------------

    /** A borrowed connection (to {@code itsBackend}) is now the one commands go to. */
    void serverAttached(Channel channel, Backend itsBackend) {
        links.attached(channel, itsBackend);
        channel.config().setAutoRead(client.isWritable());
    }

    /** The connection went back to the pool: the session holds none until its next command. */
    void serverDetached() {
        backendReadComplete(); // the pool's handler, not this session, sees the end of this read
        flushToBackend(); // nothing of this client's may wait in the connection for the next one to flush
        links.detached();
    }

    boolean multiplexed() {
        return mux != null;
    }

    void sendToClient(ByteBuf framed) {
        client.writeAndFlush(framed, client.voidPromise());
    }

    ByteBufAllocator alloc() {
        return client.alloc();
    }

    ScriptSession scriptSession() {
        return scriptSession;
    }

    /** Called by the scripted relay when a command got its result. */
    void commandDone() {
        transition(SessionState.READ_QUERY);
        closeIfDraining();
    }

    /** A graceful shutdown waited for the running command: the session ends once it is quiet. */
    void closeIfDraining() {
        if (draining && isQuiet()) {
            shutdownNow();
        }
    }

    void loggedIn(HandshakeV10 handshake, HandshakeResponse response, long negotiated) {
        capabilities = negotiated;
        links.greeted(handshake);
        loginResponse = response;
        mirror.loggedIn(response.database());
    }

    /** A snapshot of the connection for a hook call. */
    ConnectionInfo connectionInfo() {
        return SessionViews.forHooks(this);
    }

    /** Idle, with no packet half-relayed in either direction. */
    boolean isQuiet() {
        return phase.quiet();
    }

    /** No command runs on the relay and no packet is half-relayed in either direction. */
    boolean relayQuiet() {
        return state == SessionState.READ_QUERY && relay.atBoundaries();
    }

    boolean clientWritable() {
        return client.isWritable();
    }

    boolean backendReading() {
        Channel active = links.active();
        return active != null && active.config().isAutoRead();
    }

    boolean serverAtBoundary() {
        return relay.serverAtBoundary();
    }

    ConversationTracker tracker() {
        return tracker;
    }

    /** Starts a graceful shutdown: close now if nothing runs, else after the running command's response. */
    void drain() {
        client.eventLoop().execute(() -> {
            draining = true;
            if (!state.authenticated() || isQuiet()) {
                shutdownNow();
            }
        });
    }

    /** Ends the session at shutdown, with an error packet when the client can still read one. */
    void shutdownNow() {
        endWithError(ErrorCodes.SERVER_SHUTDOWN, ErrorCodes.STATE_CONNECTION_FAILURE,
                "Server shutdown in progress (mysqlproxy)");
    }

    /** KILL [CONNECTION] from another client of the same user: as the server would, with error 1927. */
    void killedByClient() {
        client.eventLoop().execute(() -> {
            if (state != SessionState.CLOSED) {
                LOG.infof("session %d: client %s killed by KILL from another client", id, clientAddress());
                endWithError(ErrorCodes.CONNECTION_KILLED, ErrorCodes.STATE_KILLED, "Connection was killed");
            }
        });
    }

    /** The backend thread running this multiplexed client's command now, or null; read from other threads. */
    ConnectionLease.Running running() {
        Multiplexer m = mux;
        return m == null ? null : m.running();
    }

    Listener listener() {
        return listener;
    }

    /** KILL from the admin interface: an error the client can read, at once, even in the middle of a command. */
    void killedByAdmin() {
        if (state == SessionState.CLOSED) {
            return;
        }
        LOG.infof("session %d: client %s killed from the admin interface", id, clientAddress());
        endWithError(ErrorCodes.CONNECTION_KILLED, ErrorCodes.STATE_KILLED, "Connection was killed (mysqlproxy admin)");
    }

    /** Closes the session now, with an error packet when the client can still read one (not mid-packet). */
    void endWithError(int code, String sqlState, String message) {
        if (state == SessionState.CLOSED) {
            return;
        }
        int seq = SessionEnd.errorSeq(state, isQuiet(), relay);
        if (seq == SessionEnd.NO_ERROR_PACKET) {
            close();
        } else {
            closeWithError(seq, code, sqlState, message);
        }
    }

    /** Sends an ERR packet with sequence id {@code seq} to the client, then closes both sides. */
    void closeWithError(int seq, int code, String sqlState, String message) {
        if (state == SessionState.CLOSED) {
            return;
        }
        closeAfter(ErrorPackets.encode(client.alloc(), seq, code, sqlState, message));
    }

    /** Sends {@code framed} to the client, then closes both sides. */
    void closeAfter(ByteBuf framed) {
        if (state == SessionState.CLOSED) {
            framed.release();
            return;
        }
        SessionPhase ending = enterClosed();
        links.closeAll();
        client.writeAndFlush(framed).addListener(f -> SessionEnd.lingerThenClose(client));
        finish(ending);
    }

    /** Closes both sides once what was already written to the client has been sent. */
    void closeAfterFlush() {
        closeAfter(client.alloc().buffer(0));
    }

    void close() {
        if (state == SessionState.CLOSED) {
            return;
        }
        SessionPhase ending = enterClosed();
        links.closeAll();
        if (client != null) {
            client.close();
        }
        finish(ending);
    }

    /** From now on whatever arrives is dropped; returns the phase the session was in. */
    private SessionPhase enterClosed() {
        SessionPhase ending = phase;
        phase = SessionPhase.CLOSED;
        state = SessionState.CLOSED;
        return ending;
    }

    private void finish(SessionPhase ending) {
        if (clock != null) {
            clock.unwatch(this);
        }
        if (mux != null) {
            mux.closed();
        }
        ending.release();
        if (scriptSession != null) {
            scriptSession.disconnect(connectionInfo());
        }
        relay.release();
        links.disconnectAll();
        listener.remove(this);
    }
}
