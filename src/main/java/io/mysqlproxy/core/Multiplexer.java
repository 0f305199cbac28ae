package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.metrics.ListenerMetrics;
import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.ConversationTracker;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.OkPacket;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.protocol.ResponseState;
import io.mysqlproxy.protocol.ServerStatus;
import io.mysqlproxy.sql.PinReason;
import io.mysqlproxy.sql.StatementEffects;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Multiplexing for one client session: the client holds a backend connection only while a command runs or while
 * it has session state another connection would not have (see {@link PinReason}). Commands are taken one at a time:
 * each is read whole, inspected, given a connection of the client's user (borrowed from the backend's pool, or
 * waited for), brought to the client's session state (reset, database, replayed SETs, LAST_INSERT_ID) and sent;
 * when its response ends, the connection goes back to the pool unless the client is pinned.
 */
final class Multiplexer {
    private static final Logger LOG = Logger.getLogger(Multiplexer.class);
    /** Commands longer than this are not read for session state: they pin (when in doubt, pin). */
    static final int INSPECT_LIMIT = 1 << 16;
    /** Replayed SET statements a client may accumulate; more pin it. */
    /**
     * The thread ids clients of a multiplexing listener see (in the greeting, for KILL): the session id with this bit,
     * so that they do not collide with backend thread ids, which are passed through.
     */
    private static final long CLIENT_THREAD_ID_BIT = 0x4000_0000L;

    static long clientThreadId(long sessionId) {
        return CLIENT_THREAD_ID_BIT | (sessionId & (CLIENT_THREAD_ID_BIT - 1));
    }

    /** The backend thread running a client's command now, and its server (thread ids are per server). */
    record Running(long threadId, Backend backend) {
    }

    private final ClientSession session;
    /** The pool of the backend the client logged in to: its commands go there unless a script picks another. */
    private final IdlePool homePool;
    private final Backend homeBackend;
    /** Pools whose connections of the client's user it may borrow (counted there as one of the user's clients). */
    private final List<IdlePool> joined = new ArrayList<>(2);
    private final ListenerMetrics metrics;
    private final long waitTimeoutMillis;
    private final long pingAfterNanos;
    private final long readTimeoutMillis;
    private final String user;
    private final long capabilities;
    private final int charset;
    private final EventLoop loop;
    private final CompositeByteBuf pending;

    private IdlePool.Idle held;
    private IdlePool heldPool;
    private Backend heldBackend;
    /** The connection the last command ran on, its pool, and how often it had been borrowed then. */
    private IdlePool.Idle previous;
    private IdlePool previousPool;
    private Backend previousBackend;
    private long previousBorrows;
    /** Where the running command goes: the home backend, or the one a script picked. */
    private IdlePool targetPool;
    private Backend targetBackend;
    /** Set while a script's command runs: how it is sent and how the proxy's own answer reaches the script. */
    private Consumer<byte[]> scriptedSend;
    private Consumer<ByteBuf> scriptedAnswer;
    private boolean inTransaction;
    private boolean ended;
    /** The client's session state, which every connection it borrows is brought to. */
    private final SessionMirror mirror;

    /** A command is under way: waiting for a connection, being prepared, or running. */
    private boolean busy;
    private int command = -1;
    /** The running command's bytes were taken from {@link #pending} (sent, or replaced by the proxy's). */
    private boolean commandSkipped;
    private StatementEffects effects = StatementEffects.NONE;
    private String commandText;
    private Prelude prelude;
    /** The plain relay of a session without a script; null when a script runs its commands. */
    private PlainCommands plain;
    /** What runs once the prelude brought the connection to the client's state. */
    private Runnable afterPrelude;
    private IdlePool.Waiter waiter;
    private IdlePool waiterPool;
    private ScheduledFuture<?> waitTimer;
    /** The connection the client holds, or null; read by other clients' KILL QUERY. */
    private volatile Running running;

    Multiplexer(ClientSession session, IdlePool pool, Backend backend, ListenerMetrics metrics,
                PoolConfig config, long readTimeoutMillis, IdlePool.Idle loginConnection,
                EventLoop loop) {
        this.session = session;
        this.homePool = pool;
        this.homeBackend = backend;
        this.targetPool = pool;
        this.targetBackend = backend;
        this.metrics = metrics;
        this.waitTimeoutMillis = config.multiplexing().waitTimeoutMillis();
        this.pingAfterNanos = TimeUnit.MILLISECONDS.toNanos(config.pingAfterMillis());
        this.readTimeoutMillis = readTimeoutMillis;
        this.user = loginConnection.user();
        this.capabilities = loginConnection.capabilities();
        this.charset = loginConnection.state().charset;
        this.mirror = session.mirror();
        this.loop = loop;
        this.pending = loginConnection.channel().alloc().compositeBuffer(64);
        this.held = loginConnection;
        this.heldPool = pool;
        this.heldBackend = backend;
        this.running = new Running(loginConnection.greeting().connectionId(), backend);
        pool.sessionStarted(loginConnection);
        joined.add(pool);
    }

    /**
     * A second connection the client logged in with (a routing script's {@code extra_backend_ndx}): it goes to
     * its backend's pool, which the client may borrow from when the script routes a command there.
     */
    void join(Backend backend, IdlePool pool, IdlePool.Idle loggedIn) {
        if (!joined.contains(pool)) {
            pool.sessionJoined(user);
            joined.add(pool);
        }
        if (!pool.offer(loggedIn)) {
            IdlePool.discard(loggedIn);
        }
    }

    Running running() {
        return running;
    }

    boolean busy() {
        return busy;
    }

    /** The plain relay the client's commands go through when no script runs. */
    void relayThrough(PlainCommands relay) {
        plain = relay;
    }

    /**
     * Bytes of a connection just given back (whatever it says is not this client's) or of the prelude that brings a
     * borrowed connection to the client's state: true if they were taken care of here.
     */
    boolean takeServerBytes(ByteBuf buf) {
        if (session.links().server() == null) {
            buf.release();
            return true;
        }
        if (prelude != null) {
            preludeRead(buf);
            return true;
        }
        return false;
    }

    /** Why the client keeps its connection now, or null. */
    PinReason pinReason() {
        return mirror.pinned() != null ? mirror.pinned() : inTransaction ? PinReason.TRANSACTION : null;
    }

    // ---- client bytes ------------------------------------------------------------------------------------------

    void clientRead(ByteBuf buf) {
        if (ended) {
            buf.release();
            return;
        }
        if (relaysRaw() && !(session.tracker().idle() && KillRequest.startsWithKill(buf))) {
            plain.send(buf);
            return;
        }
        pending.addComponent(true, buf);
        next();
    }

    /**
     * Bytes go straight through when the client is pinned and nothing waits, and while the server reads what the
     * running command needs of the client (a local file, an authentication answer).
     */
    private boolean relaysRaw() {
        if (pending.isReadable() || prelude != null || waiter != null) {
            return false;
        }
        if (mirror.pinned() != null && held != null) {
            return true;
        }
        ResponseState s = session.tracker().state();
        return busy && (s == ResponseState.INFILE_UPLOAD
                || s == ResponseState.AUTH);
    }

    /** Starts the next whole command the client sent, unless one is under way. */
    private void next() {
        if (ended || busy || !pending.isReadable()) {
            return;
        }
        if (mirror.pinned() != null && held != null && !KillRequest.startsWithKill(pending)) {
            sendToBackend(pending.readableBytes());
            return;
        }
        if (pending.readableBytes() < Packets.HEADER_SIZE + 1) {
            return;
        }
        int at = pending.readerIndex();
        int length = pending.getUnsignedMediumLE(at);
        boolean inspect = length < INSPECT_LIMIT;
        if (inspect && pending.readableBytes() < Packets.HEADER_SIZE + length) {
            return;
        }
        command = length == 0 ? -1 : pending.getUnsignedByte(at + Packets.HEADER_SIZE);
        if (command == Commands.COM_QUIT) {
            pending.skipBytes(pending.readableBytes());
            if (!session.quitIntoPool()) {
                session.close();
            }
            return;
        }
        commandSkipped = false;
        boolean command0 = inspect && pending.getUnsignedByte(at + 3) == 0;
        KillRequest kill = command0 ? KillRequest.parse(pending, at, length) : null;
        if (kill != null && (kill.threadId() & CLIENT_THREAD_ID_BIT) != 0) {
            busy = true;
            kill(kill);
            return;
        }
        if (mirror.pinned() == null) {
            inspect(pending, at, length, command0);
        }
        busy = true;
        int frame = Packets.HEADER_SIZE + length;
        obtain(() -> sendToBackend(mirror.pinned() != null ? pending.readableBytes() : frame));
    }

    // ---- commands a script sends ------------------------------------------------------------------------------

    /**
     * A scripted session sends {@code packet} (the client's command or one a script injected) to the pool of
     * {@code wanted} (null for the client's own backend): {@code send} gets the packet, or the proxy's replacement
     * of it, once the session holds a connection brought to the client's state; {@code answer} gets the framed
     * response instead when the proxy answers itself (a KILL of a proxy thread id, an error).
     */
    void run(Backend wanted, byte[] packet, Consumer<byte[]> send,
             Consumer<ByteBuf> answer) {
        if (ended) {
            return;
        }
        scriptedSend = send;
        scriptedAnswer = answer;
        IdlePool pool = wanted == null ? homePool : session.listener().pool(wanted);
        boolean picked = pool != homePool && usable(pool);
        targetPool = picked ? pool : homePool;
        targetBackend = picked ? wanted : homeBackend;
        ByteBuf framed = PacketFramer.frame(session.alloc(), 0, Unpooled.wrappedBuffer(packet));
        int length = framed.getUnsignedMediumLE(0);
        busy = true;
        commandSkipped = true;
        command = packet.length == 0 ? -1 : packet[0] & 0xFF;
        boolean inspect = length < INSPECT_LIMIT;
        KillRequest kill = inspect ? KillRequest.parse(framed, 0, length) : null;
        if (kill != null && (kill.threadId() & CLIENT_THREAD_ID_BIT) != 0) {
            kill(kill);
        } else {
            if (mirror.pinned() == null || mirror.pinned() == PinReason.SCRIPT) {
                inspect(framed, 0, length, inspect); // state a script-pinned client creates pins it for good
            }
            obtain(() -> scriptedSend.accept(packet));
        }
        framed.release();
    }

    /** The response to a script's command ended: what it did to the session is noted; the connection stays. */
    void scriptedResponseEnded() {
        responseEnded();
    }

    /** The client's command is answered: its connection goes back to the pool unless the client keeps it. */
    void scriptedCommandDone() {
        scriptedSend = null;
        scriptedAnswer = null;
        if (!busy && held != null && !keepsConnection()) {
            release();
        }
    }

    /** Whether the client keeps the connection it holds: it is pinned, or in a transaction. */
    private boolean keepsConnection() {
        return mirror.pinned() != null || inTransaction;
    }

    /**
     * A script pins the client to its connection ({@code proxy.connection.pinned = true}) or lifts its own pin
     * ({@code false}); pins for session state stay.
     */
    void pinnedByScript(boolean pin) {
        if (pin) {
            pin(PinReason.SCRIPT);
        } else if (mirror.unpinScript()) {
            LOG.debugf("session %d: the script lifted its pin", session.id());
        }
    }

    /**
     * KILL of a thread id the proxy gave a client: KILL CONNECTION closes that client (the server's rule applies:
     * only a client of the same user may), KILL QUERY becomes a KILL QUERY of the backend thread running that
     * client's command now, checked by the server; with none running there is nothing to interrupt.
     */
    private void kill(KillRequest kill) {
        ClientSession target = session.listener().byClientThreadId(kill.threadId());
        if (target == null) {
            fail(ErrorCodes.NO_SUCH_THREAD, ErrorCodes.STATE_GENERAL, "Unknown thread id: " + kill.threadId());
            return;
        }
        if (!kill.queryOnly()) {
            if (!user.equals(target.username())) {
                fail(ErrorCodes.KILL_DENIED, ErrorCodes.STATE_GENERAL,
                        "You are not owner of thread " + kill.threadId());
                return;
            }
            answerOk();
            target.killedByClient();
            return;
        }
        Running thread = target.running();
        if (thread == null) {
            answerOk();
            return;
        }
        IdlePool serverPool = session.listener().pool(thread.backend());
        if (!usable(serverPool)) {
            fail(ErrorCodes.KILL_DENIED, ErrorCodes.STATE_GENERAL, "mysqlproxy: thread " + kill.threadId()
                    + " runs its query on " + thread.backend().address() + ", where user '" + user
                    + "' has no connection");
            return;
        }
        skipCommand();
        command = Commands.COM_QUERY;
        effects = StatementEffects.NONE;
        commandText = null;
        targetPool = serverPool;
        targetBackend = thread.backend();
        String statement = "KILL QUERY " + thread.threadId();
        obtain(() -> sendReplacement(statement));
    }

    /** Sends a statement of the proxy's in place of the client's command. */
    private void sendReplacement(String statement) {
        if (scriptedSend != null) {
            scriptedSend.accept(Commands.payloadBytes(Commands.COM_QUERY, statement));
            return;
        }
        send(PacketFramer.frame(session.alloc(), 0, Commands.payload(session.alloc(), Commands.COM_QUERY, statement)));
    }

    private void answerOk() {
        answer(OkPacket.framedPlain(session.alloc(), 1));
    }

    private void inspect(ByteBuf buf, int at, int length, boolean inspect) {
        effects = StatementEffects.NONE;
        commandText = null;
        if (!inspect) {
            pin(PinReason.UNINSPECTED);
            return;
        }
        switch (command) {
            case Commands.COM_QUERY -> {
                String sql = buf.toString(at + Packets.HEADER_SIZE + 1, length - 1, StandardCharsets.UTF_8);
                effects = StatementEffects.of(sql);
                if (effects.pin() != null) {
                    pin(effects.pin());
                } else if (effects.replayableSet()) {
                    commandText = sql;
                }
            }
            case Commands.COM_INIT_DB -> commandText = buf.toString(at + Packets.HEADER_SIZE + 1, length - 1,
                    StandardCharsets.UTF_8);
            case Commands.COM_PING, Commands.COM_STATISTICS, Commands.COM_FIELD_LIST, Commands.COM_PROCESS_KILL,
                    Commands.COM_PROCESS_INFO, Commands.COM_DEBUG, Commands.COM_RESET_CONNECTION -> { }
            case Commands.COM_STMT_PREPARE, Commands.COM_STMT_EXECUTE, Commands.COM_STMT_FETCH,
                    Commands.COM_STMT_CLOSE, Commands.COM_STMT_RESET, Commands.COM_STMT_SEND_LONG_DATA,
                    Commands.COM_STMT_BULK_EXECUTE -> pin(PinReason.PREPARED_STATEMENT);
            default -> pin(PinReason.COMMAND);
        }
    }

    void pinForExcludedUser() {
        pin(PinReason.EXCLUDED_USER);
    }

    /** Pins the client; a pin for session state replaces a script's (which the script may lift). */
    private void pin(PinReason reason) {
        if (mirror.pin(reason)) {
            metrics.multiplexPinned(reason);
            LOG.debugf("session %d: pinned to its backend connection (%s)", session.id(), reason.label());
        }
    }

    private void sendToBackend(int bytes) {
        // a copy: discarding read components would shift what a slice of the composite points at
        ByteBuf command = pending.readBytes(bytes);
        pending.discardReadComponents();
        commandSkipped = true;
        send(command);
    }

    private void send(ByteBuf framed) {
        plain.send(framed);
        session.flushToBackend();
    }

    // ---- getting a connection ----------------------------------------------------------------------------------

    /**
     * Gets the command a connection of the target pool, then runs {@code then}. A client that keeps its connection
     * (pinned, in a transaction) goes on with it whichever pool a script picked.
     */
    private void obtain(Runnable then) {
        if (held != null && (heldPool == targetPool || keepsConnection())) {
            prepare(then);
            return;
        }
        if (held != null) {
            release(); // a script sends this command to another backend
        }
        IdlePool pool = targetPool;
        Backend backend = targetBackend;
        IdlePool.Wanted wanted = new IdlePool.Wanted(user, capabilities, charset, mirror.database(), loop);
        if (effects.readsPrevious()) {
            // FOUND_ROWS() and ROW_COUNT() describe the previous statement on that connection: only it will do
            pool = previousPool;
            backend = previousBackend;
            IdlePool.Idle last = previous == null || previous.state().borrows != previousBorrows ? null
                    : pool.borrow(wanted, previous);
            if (last == null) {
                fail(ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_GENERAL, "mysqlproxy: FOUND_ROWS() and ROW_COUNT()"
                        + " describe this client's previous statement, whose backend connection another client has"
                        + " used since (multiplexing); use SQL_CALC_FOUND_ROWS or a transaction");
                return;
            }
            metrics.multiplexBorrowed(false);
            attach(last, pool, backend, then);
            return;
        }
        IdlePool.Idle idle = pool.borrow(wanted, null);
        if (idle != null) {
            metrics.multiplexBorrowed(false);
            attach(idle, pool, backend, then);
            return;
        }
        IdlePool from = pool;
        Backend to = backend;
        IdlePool.Waiter w = new IdlePool.Waiter(wanted, got -> loop.execute(() -> handedOver(got, from, to, then)));
        if (!backend.state().acceptsConnections() || !pool.await(w)) {
            if (pool != homePool) {
                // a script picked a backend where the user's connections are all gone: the home backend answers
                targetPool = homePool;
                targetBackend = homeBackend;
                obtain(then);
                return;
            }
            LOG.infof("session %d: no backend connection of user '%s' to %s is left; closing client %s",
                    session.id(), user, backend.address(), session.clientAddress());
            session.closeWithError(1, ErrorCodes.NO_BACKEND, ErrorCodes.STATE_CONNECTION_FAILURE,
                    "mysqlproxy: no backend connection of user '" + user + "' to " + backend.address()
                            + " is left (they were closed); please reconnect");
            return;
        }
        metrics.multiplexBorrowed(true);
        waiter = w;
        waiterPool = pool;
        waitTimer = loop.schedule(() -> {
            if (waiter == w && from.cancel(w)) {
                waiter = null;
                metrics.multiplexWaitTimedOut();
                fail(ErrorCodes.TOO_MANY_CONNECTIONS, ErrorCodes.STATE_CONNECTION_REJECTED,
                        "mysqlproxy: no backend connection of user '" + user + "' became free within "
                                + waitTimeoutMillis + " ms (all are in use by other clients)");
            }
        }, waitTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    private void handedOver(IdlePool.Idle idle, IdlePool pool, Backend backend, Runnable then) {
        waiter = null;
        if (waitTimer != null) {
            waitTimer.cancel(false);
        }
        if (ended) {
            giveBack(idle, pool);
            return;
        }
        attach(idle, pool, backend, then);
    }

    /** Takes over {@code idle} on the client's event loop (a session's sockets share one thread). */
    private void attach(IdlePool.Idle idle, IdlePool pool, Backend backend, Runnable then) {
        IdlePool.moveTo(idle.channel(), loop, moved -> {
            if (!moved) {
                idle.channel().close();
                pool.lost(idle);
                if (!ended) {
                    obtain(then);
                }
                return;
            }
            if (ended) {
                giveBack(idle, pool);
                return;
            }
            Channel ch = idle.channel();
            BackendHandler.of(ch).lend(session, false);
            idle.state().borrows++;
            held = idle;
            heldPool = pool;
            heldBackend = backend;
            running = new Running(idle.greeting().connectionId(), backend);
            session.serverAttached(ch, backend);
            prepare(then);
        });
    }

    private static void giveBack(IdlePool.Idle idle, IdlePool pool) {
        if (!pool.giveBack(idle)) {
            IdlePool.discard(idle);
        }
    }

    /** Whether the client may borrow from {@code pool}: the pool has connections of its user. */
    private boolean usable(IdlePool pool) {
        if (joined.contains(pool)) {
            return true;
        }
        if (!pool.serves(user)) {
            return false;
        }
        pool.sessionJoined(user);
        joined.add(pool);
        return true;
    }

    /** The held connection closed before the command was sent to it: another one is as good. */
    boolean retryOnAnotherConnection() {
        if (!busy || prelude == null || held == null) {
            return false;
        }
        LOG.debugf("session %d: pooled connection to %s closed before a command was sent on it; taking another",
                session.id(), heldBackend.address());
        Runnable then = afterPrelude;
        prelude.end();
        preludeOver();
        heldPool.lost(held);
        held = null;
        running = null;
        session.serverDetached();
        obtain(then);
        return true;
    }

    // ---- bringing the connection to the client's session state -------------------------------------------------

    private void prepare(Runnable then) {
        // long idle: a connection the server or a firewall dropped is found now, and another one taken
        boolean ping = pingAfterNanos > 0 && System.nanoTime() - held.state().idleSinceNanos > pingAfterNanos;
        Prelude p = Prelude.toBring(held, mirror, ping, effects.readsInsertId(), loop, readTimeoutMillis,
                new PreludeOutcome(then));
        if (p == null) {
            then.run();
            return;
        }
        metrics.multiplexReplayed(p.steps());
        prelude = p;
        afterPrelude = then;
        p.start();
    }

    private void preludeRead(ByteBuf buf) {
        prelude.read(buf);
    }

    /** What a prelude's end means for the client's command. */
    private final class PreludeOutcome implements Prelude.Outcome {
        private final Runnable then;

        PreludeOutcome(Runnable then) {
            this.then = then;
        }

        @Override
        public void ready() {
            preludeOver();
            then.run();
        }

        @Override
        public void failed(String message, boolean resetUnknown) {
            preludeOver();
            if (resetUnknown) {
                // the server cannot reset a connection: this one waits for a login (COM_CHANGE_USER resets it),
                // and the client's command takes another
                if (heldPool.resetUnsupported()) {
                    LOG.warnf("backend %s does not know COM_RESET_CONNECTION (MySQL before 5.7.3, MariaDB before"
                            + " 10.2.4): connections that need a reset are reused only by logins, which reset them"
                            + " with COM_CHANGE_USER", heldBackend.address());
                }
                release();
                obtain(then);
                return;
            }
            LOG.infof("session %d: replaying the session state on a pooled connection to %s failed: %s",
                    session.id(), heldBackend.address(), message);
            fail(ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_GENERAL,
                    "mysqlproxy: could not restore the session on a pooled connection: " + message);
        }

        @Override
        public void broken(int code, String sqlState, String message) {
            preludeOver();
            session.closeWithError(1, code, sqlState, "mysqlproxy: backend " + heldBackend.address() + " " + message);
        }
    }

    private void preludeOver() {
        prelude = null;
        afterPrelude = null;
    }

    /** The client's command gets an error instead of running; the session goes on. */
    private void fail(int code, String sqlState, String message) {
        answer(ErrorPackets.encode(session.alloc(), 1, code, sqlState, message));
    }

    /** Drops the client's command from what waits to be sent, unless it was dropped already. */
    private void skipCommand() {
        if (pending.readableBytes() >= Packets.HEADER_SIZE && !commandSkipped) {
            int length = pending.getUnsignedMediumLE(pending.readerIndex());
            pending.skipBytes(Math.min(pending.readableBytes(), Packets.HEADER_SIZE + length));
            pending.discardReadComponents();
        }
        commandSkipped = true;
    }

    /** The proxy answers the client's command itself ({@code framed}); the session goes on. */
    private void answer(ByteBuf framed) {
        busy = false;
        command = -1;
        if (scriptedAnswer != null) {
            scriptedAnswer.accept(framed); // the script's command ends with it: the connection stays until then
            return;
        }
        skipCommand();
        session.sendToClient(framed);
        if (held != null && !keepsConnection()) {
            release();
        }
        next();
    }

    // ---- the end of a command ----------------------------------------------------------------------------------

    /** The response to the running command ended (the session is at a command boundary). */
    void commandEnded() {
        if (!responseEnded()) {
            return;
        }
        if (held != null && !keepsConnection()) {
            release();
        }
        next();
    }

    /** What the command that just ended did to the session is noted; false if no command of the client ran. */
    private boolean responseEnded() {
        if (!busy || prelude != null || waiter != null) {
            return false;
        }
        busy = false;
        ConversationTracker tracker = session.tracker();
        long id = tracker.takeLastInsertId();
        if (id != 0) {
            mirror.lastInsertId(id);
            if (held != null) {
                held.state().lastInsertId = id;
            }
        }
        if (!tracker.lastCommandFailed() && held != null) {
            applied();
        }
        int status = tracker.serverStatus();
        if ((status & ServerStatus.SESSION_STATE_CHANGED) != 0 && held != null && !tracker.lastCommandFailed()
                && !carriedOver()) {
            // the server saw session state change (clients with CLIENT_SESSION_TRACK, and with
            // session_track_state_change on, any change): state the tokenizer missed, say in a stored function
            pin(PinReason.SESSION_STATE);
        }
        boolean transaction = (status & ServerStatus.IN_TRANS) != 0 || (status & ServerStatus.AUTOCOMMIT) == 0;
        if (transaction && !inTransaction && mirror.pinned() == null) {
            metrics.multiplexPinned(PinReason.TRANSACTION);
        }
        inTransaction = transaction;
        command = -1;
        return true;
    }

    /** Whether the proxy brings what the running command changes to every connection the client borrows. */
    private boolean carriedOver() {
        return command == Commands.COM_INIT_DB || command == Commands.COM_RESET_CONNECTION
                || command == Commands.COM_QUERY && (commandText != null || effects.useDatabase() != null);
    }

    /** The command succeeded: what it changed of the session is now the client's state and its connection's. */
    private void applied() {
        ConnectionState s = held.state();
        if (command == Commands.COM_INIT_DB) {
            mirror.databaseSelected(commandText);
            s.database = commandText;
        } else if (command == Commands.COM_RESET_CONNECTION) {
            mirror.reset();
            s.reset();
        } else if (command == Commands.COM_QUERY) {
            if (effects.useDatabase() != null) {
                mirror.databaseSelected(effects.useDatabase());
                s.database = effects.useDatabase();
            }
            if (commandText != null) {
                if (mirror.setsFull()) {
                    pin(PinReason.SESSION_VARIABLE);
                } else if (mirror.setApplied(commandText)) {
                    s.sets.add(commandText);
                }
            }
        }
    }

    /** Gives the held connection back to the pool. */
    private void release() {
        IdlePool.Idle idle = held;
        held = null;
        running = null;
        previous = idle;
        previousPool = heldPool;
        previousBackend = heldBackend;
        previousBorrows = idle.state().borrows;
        session.serverDetached();
        giveBack(idle, heldPool);
    }

    /** Logged in: the login connection goes back to the pool until the first command. */
    void settle() {
        if (!busy && held != null && !keepsConnection() && !pending.isReadable()) {
            release();
        }
    }

    /**
     * The client leaves at a command boundary: its connection goes back to the pool, marked for a reset if the
     * client left session state on it.
     */
    void park() {
        if (held == null || busy) {
            return; // mid-command: the session closes the connection
        }
        if (keepsConnection()) {
            held.state().needsReset = true;
        }
        release();
    }

    /** The session closed; a connection it still held was closed with it. */
    void closed() {
        if (ended) {
            return;
        }
        ended = true;
        pending.release();
        if (waiter != null) {
            waiterPool.cancel(waiter);
            waiter = null;
        }
        if (waitTimer != null) {
            waitTimer.cancel(false);
        }
        if (prelude != null) {
            prelude.end();
            preludeOver();
        }
        if (held != null) {
            heldPool.lost(held);
            held = null;
        }
        for (IdlePool pool : joined) {
            pool.sessionEnded(user);
        }
    }
}
