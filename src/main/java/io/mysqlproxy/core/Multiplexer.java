package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.config.Limits;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.config.RoutingConfig;
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
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import org.jboss.logging.Logger;

import java.util.function.Consumer;

/**
 * Multiplexing for one client session: the client holds a backend connection only while a command runs or while
 * it has session state another connection would not have (see {@link PinReason}). Commands are taken one at a time:
 * each is read whole, inspected, given a connection of the client's user brought to the client's session state
 * (reset, database, replayed SETs, LAST_INSERT_ID: the {@link ConnectionLease}) and sent; when its response ends,
 * what it changed of the session is noted in the {@link SessionMirror}, and the connection goes back to the pool
 * unless the client is pinned.
 */
final class Multiplexer {
    private static final Logger LOG = Logger.getLogger(Multiplexer.class);
    /** Commands longer than this are not read for session state: they pin (when in doubt, pin). */
    static final int INSPECT_LIMIT = 1 << 16;
    /**
     * The thread ids clients of a multiplexing listener see (in the greeting, for KILL): the session id with this bit,
     * so that they do not collide with backend thread ids, which are passed through.
     */
    private static final long CLIENT_THREAD_ID_BIT = 0x4000_0000L;

    static long clientThreadId(long sessionId) {
        return CLIENT_THREAD_ID_BIT | (sessionId & (CLIENT_THREAD_ID_BIT - 1));
    }

    private final ClientSession session;
    private final ListenerMetrics metrics;
    private final CompositeByteBuf pending;
    /** The connection the client holds for its running command, and how it gets one. */
    private final ConnectionLease lease;
    /** Set while a script's command runs: how it is sent and how the proxy's own answer reaches the script. */
    private Consumer<byte[]> scriptedSend;
    private Consumer<ByteBuf> scriptedAnswer;
    /** The client's session state, which every connection it borrows is brought to. */
    private final SessionMirror mirror;

    /** The command under way (waiting for a connection, being prepared, or running), or null. */
    private MultiplexedCommand current;
    /** The plain relay of a session without a script; null when a script runs its commands. */
    private PlainCommands plain;
    /** Which backend each command goes to when the listener splits reads from writes, else null. */
    private final ReadWriteSplit split;
    /**
     * A copy of the running command while it is a split read that may still run elsewhere (sent once more, to
     * another backend, when its server is lost before answering), else null.
     */
    private ByteBuf retryableRead;
    /** The replay of the client's transaction when its primary is lost ({@code --transaction-replay}), or null. */
    private final TransactionReplay transaction;
    /**
     * The client's prepared statements when they are routed one by one (splitting, connections of its own), else
     * null: prepared-statement commands then pin the client.
     */
    private final PreparedStatements statements;

    Multiplexer(ClientSession session, IdlePool pool, Backend backend, ListenerMetrics metrics,
                PoolConfig config, long readTimeoutMillis, PooledConnection loginConnection,
                EventLoop loop, boolean keepsItsConnections) {
        this.session = session;
        this.metrics = metrics;
        this.mirror = session.mirror();
        this.pending = loginConnection.channel().alloc().compositeBuffer(64);
        this.lease = new ConnectionLease(session, pool, backend, loginConnection, metrics, config, readTimeoutMillis,
                loop, this::keepsConnection, this::fail, keepsItsConnections);
        RoutingConfig routing = session.listener().routing();
        this.statements = routing.splits() && keepsItsConnections ? new PreparedStatements() : null;
        this.split = routing.splits() ? new ReadWriteSplit(session, lease, statements, readTimeoutMillis) : null;
        RoutingConfig.TransactionReplay replay = routing.transactionReplay();
        this.transaction = split != null && replay.enabled() ? new TransactionReplay(session, lease, split, metrics,
                replay.maxBytes(), replay.timeoutMillis()) : null;
    }

    /**
     * The multiplexer of a session that just logged in, or null when its listener does not multiplex (or the script
     * answered the login itself). A second connection the login opened goes to its backend's pool at once.
     */
    static Multiplexer afterLogin(ClientSession session, Listener listener, Limits limits) {
        SessionLinks links = session.links();
        if (!listener.multiplexes() || links.server() == null) {
            return null;
        }
        // splitting for a client that is not multiplexed: it keeps the connections it logged in with
        boolean ownConnections = listener.splitsWithoutMultiplexing(session.username());
        Multiplexer mux = new Multiplexer(session, listener.pool(links.backend()), links.backend(),
                listener.metrics(), listener.poolConfig(), limits.readTimeoutMillis(),
                session.asPooled(links.server(), links.greeting()), session.client().eventLoop(), ownConnections);
        if (!ownConnections && !listener.multiplexing().appliesTo(session.username())) {
            mux.pin(PinReason.EXCLUDED_USER); // still one of the listener's sessions for KILL
        }
        BackendLink second = links.second();
        if (links.holdsSecond()) {
            // the second login's connection serves the script's picks of that backend, through its pool
            mux.lease.join(listener.pool(second.backend()), second.backend(),
                    session.asPooled(second.channel(), second.greeting()));
            second.givenAway();
        }
        return mux;
    }

    ConnectionLease.Running running() {
        return lease.running();
    }

    boolean busy() {
        return current != null;
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
        if (lease.preludeRead(buf)) {
            return true;
        }
        if (transaction != null) {
            transaction.answered(buf);
        }
        return false;
    }

    /** Why the client keeps its connection now, or null. */
    PinReason pinReason() {
        return mirror.pinned() != null ? mirror.pinned() : mirror.inTransaction() ? PinReason.TRANSACTION : null;
    }

    // ---- client bytes ------------------------------------------------------------------------------------------

    void clientRead(ByteBuf buf) {
        if (sessionClosed()) {
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
        if (pending.isReadable() || lease.preparing() || lease.waiting() || replaying()) {
            return false;
        }
        if (mirror.pinned() != null && lease.held() != null) {
            return true;
        }
        ResponseState s = session.tracker().state();
        return current != null && (s == ResponseState.INFILE_UPLOAD
                || s == ResponseState.AUTH);
    }

    /** Starts the next whole command the client sent, unless one is under way. */
    private void next() {
        if (sessionClosed() || current != null || replaying() || !pending.isReadable()) {
            return;
        }
        if (mirror.pinned() != null && lease.held() != null && !KillRequest.startsWithKill(pending)) {
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
        int code = length == 0 ? -1 : pending.getUnsignedByte(at + Packets.HEADER_SIZE);
        if (code == Commands.COM_QUIT) {
            pending.skipBytes(pending.readableBytes());
            if (!plain.quitIntoPool()) {
                session.close();
            }
            return;
        }
        current = new MultiplexedCommand(code, false);
        boolean command0 = inspect && pending.getUnsignedByte(at + 3) == 0;
        KillRequest kill = command0 ? KillRequest.parse(pending, at, length) : null;
        if (kill != null && (kill.threadId() & CLIENT_THREAD_ID_BIT) != 0) {
            kill(kill);
            return;
        }
        if (mirror.pinned() == null) {
            pin(current.inspect(pending, at, length, command0, statements));
        }
        int frame = Packets.HEADER_SIZE + length;
        Runnable send = () -> sendToBackend(mirror.pinned() != null ? pending.readableBytes() : frame);
        if (split != null) {
            split.obtain(current, send);
        } else {
            lease.target((Backend) null); // the client's own backend (a KILL QUERY may have sent the last elsewhere)
            lease.obtain(current.effects(), send);
        }
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
        if (sessionClosed()) {
            return;
        }
        scriptedSend = send;
        scriptedAnswer = answer;
        ByteBuf framed = PacketFramer.frame(session.alloc(), 0, Unpooled.wrappedBuffer(packet));
        int length = framed.getUnsignedMediumLE(0);
        current = new MultiplexedCommand(packet.length == 0 ? -1 : packet[0] & 0xFF, true);
        boolean inspect = length < INSPECT_LIMIT;
        KillRequest kill = inspect ? KillRequest.parse(framed, 0, length) : null;
        if (kill != null && (kill.threadId() & CLIENT_THREAD_ID_BIT) != 0) {
            kill(kill);
        } else {
            if (mirror.pinned() == null || mirror.pinned() == PinReason.SCRIPT) {
                // state a script-pinned client creates pins it for good
                pin(current.inspect(framed, 0, length, inspect, null));
            }
            Runnable sendPacket = () -> scriptedSend.accept(packet);
            if (wanted == null && split != null) {
                split.obtain(current, sendPacket);
            } else {
                lease.target(wanted); // a backend the script picked wins over splitting
                lease.obtain(current.effects(), sendPacket);
            }
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
        if (current == null && lease.held() != null && !keepsConnection()) {
            lease.release();
        }
    }

    /** Whether the client keeps the connection it holds: it is pinned, or in a transaction. */
    private boolean keepsConnection() {
        return mirror.pinned() != null || mirror.inTransaction();
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
            if (!lease.user().equals(target.username())) {
                fail(ErrorCodes.KILL_DENIED, ErrorCodes.STATE_GENERAL,
                        "You are not owner of thread " + kill.threadId());
                return;
            }
            answerOk();
            target.killedByClient();
            return;
        }
        ConnectionLease.Running thread = target.running();
        if (thread == null) {
            answerOk();
            return;
        }
        IdlePool serverPool = session.listener().pool(thread.backend());
        if (!lease.usable(serverPool)) {
            fail(ErrorCodes.KILL_DENIED, ErrorCodes.STATE_GENERAL, "mysqlproxy: thread " + kill.threadId()
                    + " runs its query on " + thread.backend().address() + ", where user '" + lease.user()
                    + "' has no connection");
            return;
        }
        dequeue(current);
        current = new MultiplexedCommand(Commands.COM_QUERY, true);
        lease.target(new ConnectionLease.Source(serverPool, thread.backend()));
        String statement = "KILL QUERY " + thread.threadId();
        lease.obtain(current.effects(), () -> sendReplacement(statement));
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

    /** Pins the client; a pin for session state replaces a script's (which the script may lift). */
    private void pin(PinReason reason) {
        if (reason != null && mirror.pin(reason)) {
            metrics.multiplexPinned(reason);
            LOG.debugf("session %d: pinned to its backend connection (%s)", session.id(), reason.label());
        }
    }

    private void sendToBackend(int bytes) {
        // a copy: discarding read components would shift what a slice of the composite points at
        ByteBuf command = pending.readBytes(bytes);
        pending.discardReadComponents();
        if (current != null) {
            current.dequeue();
            if (split != null && split.anyServerMayAnswer(current)) {
                releaseRetryableRead();
                retryableRead = command.retainedDuplicate();
            }
            if (transaction != null) {
                transaction.sent(command, current);
            }
            if (statements != null && current.isPreparedStatementCommand() && mirror.pinned() == null) {
                command = forHeldConnection(command);
                if (command == null) {
                    return;
                }
            }
        }
        send(command);
    }

    /**
     * The client's prepared-statement command as the held connection must get it (its statement ids there); null,
     * with the session closed, when that connection has none of the client's statements: the one that had them was
     * lost, and ids the client holds could name other statements on another connection.
     */
    private ByteBuf forHeldConnection(ByteBuf command) {
        PooledConnection held = lease.held();
        PreparedStatements.Statement statement = current.statement();
        if (statements.ownerLost(held) && (statement == null || !statements.preparedOn(statement, held))) {
            command.release();
            LOG.infof("session %d: the backend connection holding the prepared statements of client %s was lost",
                    session.id(), session.clientAddress());
            session.closeWithError(1, ErrorCodes.NO_BACKEND, ErrorCodes.STATE_CONNECTION_FAILURE, "mysqlproxy: the"
                    + " backend connection holding this client's prepared statements was lost; please reconnect");
            return null;
        }
        return statements.toServer(command, held, lease::ours);
    }

    private void releaseRetryableRead() {
        if (retryableRead != null) {
            retryableRead.release();
            retryableRead = null;
        }
    }

    private void send(ByteBuf framed) {
        plain.send(framed);
        session.flushToBackend();
    }

    /**
     * The held connection closed: true if the command goes on elsewhere, because it had not been sent yet or because
     * it is a split read the server had not begun to answer (it runs once more, on another backend; MaxScale's
     * {@code retry_failed_reads}).
     */
    boolean retryOnAnotherConnection() {
        return current != null && (lease.retryOnAnotherConnection() || retryRead())
                || transaction != null && (current == null || unanswered()) && transaction.replay(current != null,
                this::next);
    }

    /** Whether nothing of the running command's answer has reached the client. */
    private boolean unanswered() {
        return session.tracker().state() == ResponseState.FIRST && session.serverAtBoundary();
    }

    private boolean retryRead() {
        if (retryableRead == null || lease.held() == null || !unanswered()) {
            return false;
        }
        Backend lost = lease.lostWhileRunning();
        lost.readRetried();
        LOG.infof("session %d: backend %s closed the connection before answering a read of client %s; the read runs"
                + " once more, on another backend", session.id(), lost.address(), session.clientAddress());
        split.obtain(current, lost, this::resendRead);
        return true;
    }

    /** Sends the read once more, as it was: the client's tracker has seen it already. */
    private void resendRead() {
        ByteBuf again = retryableRead;
        retryableRead = null;
        if (statements != null && current != null && current.statement() != null) {
            again = forHeldConnection(again);
            if (again == null) {
                return;
            }
        }
        session.links().server().writeAndFlush(again);
    }

    /** The client's command gets an error instead of running; the session goes on. */
    private void fail(int code, String sqlState, String message) {
        answer(ErrorPackets.encode(session.alloc(), 1, code, sqlState, message));
    }

    /** Drops the client's {@code command} from what waits to be sent, unless it was dropped already. */
    private void dequeue(MultiplexedCommand command) {
        if (pending.readableBytes() >= Packets.HEADER_SIZE && command != null && !command.dequeued()) {
            int length = pending.getUnsignedMediumLE(pending.readerIndex());
            pending.skipBytes(Math.min(pending.readableBytes(), Packets.HEADER_SIZE + length));
            pending.discardReadComponents();
            command.dequeue();
        }
    }

    /** The proxy answers the client's command itself ({@code framed}); the session goes on. */
    private void answer(ByteBuf framed) {
        MultiplexedCommand answered = current;
        current = null;
        if (scriptedAnswer != null) {
            scriptedAnswer.accept(framed); // the script's command ends with it: the connection stays until then
            return;
        }
        dequeue(answered);
        releaseRetryableRead();
        session.sendToClient(framed);
        if (lease.held() != null && !keepsConnection()) {
            lease.release();
        }
        next();
    }

    // ---- the end of a command ----------------------------------------------------------------------------------

    /** The response to the running command ended (the session is at a command boundary). */
    void commandEnded() {
        if (!responseEnded()) {
            return;
        }
        if (lease.held() != null && !keepsConnection()) {
            lease.release();
        }
        next();
    }

    /** What the command that just ended did to the session is noted; false if no command of the client ran. */
    private boolean responseEnded() {
        if (current == null || lease.preparing() || lease.waiting()) {
            return false;
        }
        MultiplexedCommand ended = current;
        current = null;
        if (split != null) {
            split.ended(ended);
            releaseRetryableRead();
        }
        PooledConnection held = lease.held();
        ConversationTracker tracker = session.tracker();
        if (statements != null && ended.preparedSql() != null) {
            if (tracker.lastCommandFailed() || held == null) {
                statements.prepareFailed();
            } else {
                statements.prepared(held, tracker.preparedId(), tracker.preparedParams(), ended.preparedSql());
            }
        }
        long id = tracker.takeLastInsertId();
        if (id != 0) {
            mirror.lastInsertId(id);
            if (held != null) {
                held.state().lastInsertId = id;
            }
        }
        if (!tracker.lastCommandFailed() && held != null && !ended.appliedTo(mirror, held.state())) {
            pin(PinReason.SESSION_VARIABLE);
        }
        int status = tracker.serverStatus();
        if ((status & ServerStatus.SESSION_STATE_CHANGED) != 0 && tracker.lastResponseReportedStatus()
                && held != null && !tracker.lastCommandFailed() && !ended.carriedOver()) {
            // the server saw session state change (clients with CLIENT_SESSION_TRACK, and with
            // session_track_state_change on, any change): state the tokenizer missed, say in a stored function
            pin(PinReason.SESSION_STATE);
        }
        if (transaction != null) {
            transaction.ended(status);
        }
        boolean inTransaction = (status & ServerStatus.IN_TRANS) != 0 || (status & ServerStatus.AUTOCOMMIT) == 0;
        if (mirror.transaction(inTransaction) && mirror.pinned() == null) {
            metrics.multiplexPinned(PinReason.TRANSACTION);
        }
        return true;
    }

    /** Logged in: the login connection goes back to the pool until the first command. */
    void settle() {
        if (current == null && lease.held() != null && !keepsConnection() && !pending.isReadable()) {
            lease.release();
        }
    }

    /**
     * The client leaves at a command boundary: its connection goes back to the pool, marked for a reset if the
     * client left session state on it; one that may hold locks or a transaction is closed with the session.
     */
    void park() {
        // mid-command, or with a transaction or locks the server must end now (other clients wait on them until
        // then): the session closes the connection
        boolean locks = mirror.inTransaction() || mirror.pinned() != null && mirror.pinned().mayHoldLocks();
        if (current == null && !locks) {
            lease.park();
        }
    }

    private boolean replaying() {
        return transaction != null && transaction.replaying();
    }

    private boolean sessionClosed() {
        return session.state() == SessionState.CLOSED;
    }

    /** The session closed (once); a connection it still held was closed with it. */
    void closed() {
        pending.release();
        releaseRetryableRead();
        if (transaction != null) {
            transaction.closed();
        }
        lease.closed();
    }
}
