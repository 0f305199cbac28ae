package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.ConversationTracker;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.FrameHead;
import io.mysqlproxy.protocol.FrameScanner;
import io.mysqlproxy.protocol.MalformedPacketException;
import io.mysqlproxy.protocol.Packet;
import io.mysqlproxy.protocol.PacketAssembler;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.protocol.ResponseState;
import io.mysqlproxy.scripting.HookOutcome;
import io.mysqlproxy.scripting.InjectionRequest;
import io.mysqlproxy.scripting.ScriptSession;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The command phase when a script is loaded: commands are read whole and handed to {@code read_query} on the
 * connection's scripting thread, then sent as they are, replaced by the script's injected queries, or answered by
 * the script. Responses are relayed packet by packet (buffered only when the script asked to see them), and each
 * client command gets exactly one result. Commands are handled one at a time; pipelined ones wait their turn.
 * On a multiplexing listener every command borrows a connection from the pool of the backend the script picked
 * ({@link Multiplexer#run}), and the connection goes back when the client's command is answered.
 */
final class ScriptedRelay extends CommandPhase {
    /**
     * Bytes of further commands read while one runs, before the client socket is paused. Not pausing for every
     * command saves two epoll_ctl calls per command; clients rarely pipeline.
     */
    private static final int PIPELINE_BUFFER = 1 << 20;
    private static final Logger LOG = Logger.getLogger(ScriptedRelay.class);
    private final ScriptSession script;
    private final Channel client;
    /** Where the current command goes: the session's main backend connection or its second one. */
    private Channel server;
    /** Multiplexing: the backend whose pool the script picked ({@code backend_ndx}), or null for the login's. */
    private Backend picked;
    private final ConversationTracker tracker;
    private final FrameScanner clientHeads;
    private final FrameScanner serverHeads;
    private final PacketAssembler fromClient;
    private PacketAssembler fromServer;
    /** The client's command under way, or null between commands. */
    private ScriptedCommand command;
    /** The statement of that command running now, or null. */
    private Injection current;
    /** {@link #pump} is on the stack: a command answered at once does not start the next one from inside it. */
    private boolean pumping;

    ScriptedRelay(ClientSession session, ScriptSession script, Multiplexer mux, Channel client, Channel server,
                  ConversationTracker tracker, long maxPacketSize) {
        super(session, mux);
        this.script = script;
        this.client = client;
        this.server = server;
        this.tracker = tracker;
        this.clientHeads = new FrameScanner(tracker::onClientFrame);
        this.serverHeads = new FrameScanner(this::onServerHead);
        this.fromClient = new PacketAssembler(client.alloc(), (int) Math.min(Integer.MAX_VALUE, maxPacketSize));
        this.fromServer = new PacketAssembler(client.alloc(), Integer.MAX_VALUE);
    }

    @Override
    void start(ByteBuf clientRest, ByteBuf serverRest) {
        read(session.links().server(), serverRest);
        clientRead(clientRest);
    }

    @Override
    public boolean quiet() {
        return session.state() == SessionState.READ_QUERY && command == null;
    }

    @Override
    public void clientRead(ByteBuf buf) {
        fromClient.add(buf);
        if (command != null && fromClient.buffered() > PIPELINE_BUFFER && client.config().isAutoRead()
                && !(current != null && current.streaming && expectsClientData())) {
            client.config().setAutoRead(false); // a client pipelining ahead of its results waits here
        }
        pump();
    }

    private void pump() {
        if (pumping) {
            return; // a command that ended at once (its hook answered it) is followed by the running loop
        }
        pumping = true;
        try {
            Packet p;
            while (session.state().authenticated()) {
                if (command == null && !client.isWritable()) {
                    // results the client has not read yet: no new command (and no reading) until it has
                    client.config().setAutoRead(false);
                    return;
                }
                if ((p = nextClientPacket()) == null) {
                    return;
                }
                if (command != null) {
                    forwardExchange(p); // a local file or an authentication reply for the running command
                } else {
                    startCommand(p);
                }
            }
        } catch (MalformedPacketException e) {
            session.closeWithError(command == null ? 1 : command.lastSeq + 1, ErrorCodes.PACKET_TOO_LARGE,
                    ErrorCodes.STATE_CONNECTION_FAILURE, "Got a packet bigger than the proxy's max packet size: " + e.getMessage());
        } finally {
            pumping = false;
        }
    }

    /** Once the client read what was written to it, commands waiting behind it can start. */
    @Override
    public void clientWritabilityChanged(boolean writable) {
        if (writable && command == null && session.state().authenticated()) {
            client.config().setAutoRead(true);
            pump();
        }
        super.clientWritabilityChanged(writable);
    }

    /** The next client packet, unless a command runs that does not expect one from the client. */
    private Packet nextClientPacket() {
        if (command != null && !(current != null && current.streaming && expectsClientData())) {
            return null;
        }
        return fromClient.next();
    }

    private boolean expectsClientData() {
        return tracker.state() == ResponseState.INFILE_UPLOAD || tracker.state() == ResponseState.AUTH;
    }

    private void forwardExchange(Packet p) {
        int seq = p.seq() - current.seqOffset;
        clientHeads.scanWhole(seq, p.payload());
        server.writeAndFlush(PacketFramer.frame(server.alloc(), seq & 0xFF, p.payload()));
    }

    private void startCommand(Packet p) {
        if (!p.payload().isReadable()) {
            // an empty packet names no command: answered like the server answers it (as COM_SLEEP, unknown)
            p.payload().release();
            client.writeAndFlush(ErrorPackets.encode(client.alloc(), p.seq() + 1, ErrorCodes.UNKNOWN_COMMAND,
                    "08S01", "Unknown command"));
            return;
        }
        boolean quit = p.payload().getUnsignedByte(p.payload().readerIndex()) == Commands.COM_QUIT;
        if (quit && (quitIntoPool() || mux != null)) {
            p.payload().release();
            session.close(); // multiplexed: COM_QUIT never goes to a shared connection; a held one closes with us
            return;
        }
        command = new ScriptedCommand((p.seq() + PacketFramer.framesFor(p.payload().readableBytes()) - 1) & 0xFF);
        session.transition(SessionState.READ_QUERY_RESULT);
        byte[] packet = Injection.bytes(p.payload());
        p.payload().release();
        if (quit) {
            if (server != null) {
                switchTo(session.links().server()); // the main connection says goodbye; the other one is closed
            }
            send(new InjectionRequest(0, packet, false), true);
            return;
        }
        if (script.skipsReadQuery()) {
            command.inject(List.of(new InjectionRequest(0, packet, false)));
            nextInjection(true);
            return;
        }
        whenDecided(script.readQuery(session.connectionInfo(), packet), outcome -> onReadQuery(outcome, packet));
    }

    private void onReadQuery(HookOutcome outcome, byte[] original) {
        if (!session.state().authenticated()) {
            return;
        }
        route(outcome);
        command.closeAfter(outcome.close());
        if (outcome.error() != null) {
            if (outcome.fatal()) {
                session.closeWithError(command.lastSeq + 1, ErrorCodes.UNKNOWN_ERROR, ErrorCodes.STATE_PROXY,
                        outcome.error());
                return;
            }
            command.fail(client, outcome.error());
            commandDone();
            return;
        }
        switch (outcome.action()) {
            case HookOutcome.SEND_RESULT -> {
                command.answer(client, outcome.response());
                commandDone();
            }
            case HookOutcome.SEND_QUERY -> {
                session.metrics().injected(outcome.queries().size());
                command.inject(outcome.queries());
                nextInjection(false);
            }
            default -> {
                command.inject(List.of(new InjectionRequest(0, original, false)));
                nextInjection(true);
            }
        }
    }

    /**
     * The script wrote {@code proxy.connection.backend_ndx}: the next commands go to that backend if this session
     * has a connection there (its own, or the second one it logged into); otherwise nothing changes. Multiplexed,
     * they go to that backend's pool if it has connections of the client's user; and a script may pin the client.
     */
    private void route(HookOutcome outcome) {
        int backendNdx = outcome.backendNdx();
        if (mux != null) {
            if (outcome.pin() != null) {
                mux.pinnedByScript(outcome.pin());
            }
            List<Backend> backends = session.listener().backends();
            if (backendNdx > 0 && backendNdx <= backends.size()) { // the listener may have lost backends since
                picked = backends.get(backendNdx - 1);
            }
            return;
        }
        if (backendNdx <= 0 || server == null) {
            return;
        }
        Channel target = session.links().serverFor(backendNdx);
        if (target == null) {
            LOG.debugf("session %d: the script picked backend %d, which this connection is not logged into",
                    session.id(), backendNdx);
            return;
        }
        switchTo(target);
    }

    /** Between commands: the next ones go to {@code target}. */
    private void switchTo(Channel target) {
        if (target != server) {
            fromServer.release();
            fromServer = new PacketAssembler(client.alloc(), Integer.MAX_VALUE);
            server = target;
            session.links().activate(target);
        }
    }

    private void nextInjection(boolean passthrough) {
        InjectionRequest next = command.nextInjection();
        if (next == null) {
            if (!command.answered()) {
                command.fail(client, "mysqlproxy: the script ignored every result of this command");
            }
            commandDone();
            return;
        }
        send(next, passthrough);
    }

    private void send(InjectionRequest request, boolean passthrough) {
        if (server == null && mux == null) {
            if ((request.packet()[0] & 0xFF) == Commands.COM_QUIT) {
                session.close();
                return;
            }
            command.dropInjections();
            if (!command.answered()) {
                command.fail(client, "mysqlproxy: there is no backend: the script answers every command itself,"
                        + " and it did not answer this one");
            }
            commandDone();
            return;
        }
        current = new Injection(request, passthrough);
        int frames = PacketFramer.framesFor(request.packet().length);
        current.seqOffset = command.lastSeq - (frames - 1);
        current.streaming = !current.buffered() && !command.answered();
        if (mux != null) {
            Injection inj = current;
            mux.run(picked, request.packet(), packet -> write(inj, packet), framed -> answered(inj, framed));
            return;
        }
        write(current, request.packet());
    }

    private void write(Injection inj, byte[] packet) {
        if (current != inj || !session.state().authenticated()) {
            return;
        }
        if (mux != null) {
            server = session.links().server(); // the connection the multiplexer lent for this command
        }
        ByteBuf payload = Unpooled.wrappedBuffer(packet);
        clientHeads.scanWhole(0, payload);
        server.writeAndFlush(PacketFramer.frame(server.alloc(), 0, payload));
        if (Commands.expectsNoResponse(packet[0] & 0xFF)) {
            current = null;
            command.answeredByServer(); // the client expects nothing either
            finishInjection(inj);
        }
    }

    /** The proxy answered the command itself (multiplexing: a KILL of a proxy thread id, or an error). */
    private void answered(Injection inj, ByteBuf framed) {
        if (current != inj || !session.state().authenticated()) {
            framed.release();
            return;
        }
        clientHeads.scanWhole(0, Unpooled.wrappedBuffer(inj.request.packet()));
        fromServer.add(framed);
        Packet p;
        while (session.state().authenticated() && (p = fromServer.next()) != null) {
            onServerPacket(p);
        }
        client.flush();
    }

    @Override
    public void serverRead(ByteBuf buf) {
        if (!takenByMultiplexer(buf)) {
            read(session.links().server(), buf);
        }
    }

    @Override
    public void secondServerRead(Channel from, ByteBuf buf) {
        read(from, buf);
    }

    private void read(Channel from, ByteBuf buf) {
        if (from != server) {
            buf.release(); // an idle connection's last words before it closes: its closing is handled as such
            return;
        }
        if (relaysAsItCame()) {
            relayRaw(buf);
            return;
        }
        fromServer.add(buf);
        Packet p;
        while (session.state().authenticated() && (p = fromServer.next()) != null) {
            onServerPacket(p);
        }
        if (session.state().authenticated()) {
            client.flush(); // what this read brought is relayed now, as on the streaming path
        }
    }

    /**
     * Whether the response starting now can go to the client as the server's bytes came, as without a script: the
     * client's own command, the hook let it through, its sequence ids need no shift, and no partial packet is
     * buffered (none is, all along such a response). Saves taking every packet apart and framing it again.
     */
    private boolean relaysAsItCame() {
        Injection inj = current;
        return inj != null && inj.passthrough && inj.streaming && inj.seqOffset == 0 && mux == null
                && fromServer.buffered() == 0;
    }

    private void relayRaw(ByteBuf buf) {
        if (!session.state().authenticated()) {
            buf.release();
            return;
        }
        Injection inj = current;
        command.answeredByServer();
        serverHeads.scan(buf); // the tracker sees every frame head
        client.write(buf, client.voidPromise());
        if (tracker.idle()) {
            client.flush();
            current = null;
            finishInjection(inj);
            return;
        }
        client.flush();
        if (!client.isWritable()) {
            server.config().setAutoRead(false);
        }
        if (expectsClientData()) {
            client.config().setAutoRead(true);
            pump();
        }
    }

    private void onServerHead(FrameHead head) {
        Injection inj = current;
        if (inj != null && inj.firstByte < 0) {
            inj.firstByte = head.firstByte();
        }
        tracker.onServerFrame(head);
    }

    private void onServerPacket(Packet p) {
        if (current == null) {
            // unsolicited: the server's last word before it closes an idle connection
            client.writeAndFlush(PacketFramer.frame(client.alloc(), p.seq(), p.payload()));
            return;
        }
        ResponseState before = tracker.state();
        serverHeads.scanWhole(p.seq(), p.payload());
        Injection inj = current;
        inj.received(p.payload(), before == ResponseState.ROWS && tracker.state() == ResponseState.ROWS);
        if (inj.streaming) {
            command.answeredByServer();
            client.write(PacketFramer.frame(client.alloc(), (p.seq() + inj.seqOffset) & 0xFF, p.payload()));
            if (!client.isWritable()) {
                // unflushed bytes count against writability: flush first, and pause only if that did not drain
                // them (the flush may already have fired the writability change that resumes the backend)
                client.flush();
                if (!client.isWritable()) {
                    server.config().setAutoRead(false);
                }
            }
        } else {
            p.payload().release();
        }
        if (tracker.idle()) {
            client.flush();
            current = null;
            finishInjection(inj);
        } else if (inj.streaming && expectsClientData()) {
            client.flush();
            client.config().setAutoRead(true);
            pump();
        }
    }

    private void finishInjection(Injection inj) {
        if (mux != null) {
            mux.scriptedResponseEnded();
        }
        if (inj.firstByte == Packets.OK) {
            session.mirror().commandSucceeded(inj.request.packet());
        }
        if (inj.passthrough) {
            nextInjection(true);
            return;
        }
        whenDecided(script.readQueryResult(session.connectionInfo(), inj.result(), command.remaining()),
                o -> onReadQueryResult(o, inj));
    }

    /**
     * Goes on with a hook's outcome on the client's event loop: at once when the hook already ran there (the
     * connection lives on its Lua state's thread), else once it ran on the scripting thread.
     */
    private void whenDecided(CompletableFuture<HookOutcome> hook, Consumer<HookOutcome> next) {
        if (hook.isDone() && !hook.isCompletedExceptionally() && client.eventLoop().inEventLoop()) {
            next.accept(hook.join());
            return;
        }
        hook.thenAccept(outcome -> client.eventLoop().execute(() -> next.accept(outcome)));
    }

    private void onReadQueryResult(HookOutcome outcome, Injection inj) {
        if (!session.state().authenticated()) {
            return;
        }
        route(outcome);
        command.inject(outcome.queries());
        command.closeAfter(outcome.close());
        if (outcome.error() != null) {
            if (!command.answered()) {
                command.fail(client, outcome.error());
            }
        } else if (outcome.action() == HookOutcome.SEND_RESULT) {
            if (!command.answered()) {
                command.answer(client, outcome.response());
            }
        } else if (outcome.action() != HookOutcome.IGNORE_RESULT && !command.answered() && inj.buffered()) {
            command.answer(client, inj.packets);
        }
        nextInjection(false);
    }

    private void commandDone() {
        boolean close = command.closesSession();
        command = null;
        current = null;
        if (mux != null) {
            mux.scriptedCommandDone();
        }
        client.config().setAutoRead(true);
        if (close) {
            session.closeAfterFlush();
            return;
        }
        session.commandDone();
        if (session.state().authenticated()) {
            pump();
        }
    }

    @Override
    public void release() {
        fromClient.release();
        fromServer.release();
    }
}
