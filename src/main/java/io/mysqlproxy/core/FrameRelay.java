package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.config.Limits;
import io.mysqlproxy.protocol.ConversationTracker;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.FrameHead;
import io.mysqlproxy.protocol.FrameScanner;
import io.mysqlproxy.protocol.ResponseState;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import org.jboss.logging.Logger;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The bytes of commands and results between a client and the backend connection its session holds, relayed as
 * they arrive (no packet is assembled) while a {@link ConversationTracker} follows commands and responses from the
 * frame heads: back-pressure both ways, the proxy's max packet size, the write timeout of a client that stopped
 * reading, and one flush per read.
 */
final class FrameRelay {
    private static final Logger LOG = Logger.getLogger(FrameRelay.class);

    private final ClientSession session;
    private final Limits limits;
    private final ConversationTracker tracker = new ConversationTracker();
    private final FrameScanner clientFrames;
    private final FrameScanner serverFrames = new FrameScanner(tracker::onServerFrame);
    private boolean backendNeedsFlush;
    private boolean clientNeedsFlush;
    private boolean untrackedLogged;
    private String oversizedPacket;
    private ScheduledFuture<?> writeTimeout;

    FrameRelay(ClientSession session, Limits limits, CommandRecorder recorder) {
        this.session = session;
        this.limits = limits;
        // a statement's first bytes, as far as digests and the slow-query log read them, in every frame head
        this.clientFrames = new FrameScanner(this::onClientFrame, recorder.textBytes());
        tracker.observer(recorder);
    }

    ConversationTracker tracker() {
        return tracker;
    }

    /**
     * Client bytes to {@code server}; false when they held a packet larger than the proxy's max packet size (the
     * client got error 1153 and the session is closed).
     */
    boolean toBackend(Channel client, Channel server, ByteBuf buf) {
        clientFrames.scan(buf);
        if (oversizedPacket != null) {
            buf.release();
            session.closeWithError(tracker.lastSeq() + 1, ErrorCodes.PACKET_TOO_LARGE,
                    ErrorCodes.STATE_CONNECTION_FAILURE, oversizedPacket);
            return false;
        }
        server.write(buf, server.voidPromise());
        backendNeedsFlush = true;
        if (!server.isWritable()) {
            client.config().setAutoRead(false);
        }
        return true;
    }

    private void onClientFrame(FrameHead head) {
        tracker.onClientFrame(head);
        if (tracker.clientPacketLength() > limits.maxPacketSize() && oversizedPacket == null) {
            oversizedPacket = "Got a packet bigger than the proxy's max packet size (" + tracker.clientPacketLength()
                    + " > " + limits.maxPacketSize() + " bytes)";
            LOG.warnf("session %d: client %s: %s", session.id(), session.clientAddress(), oversizedPacket);
        }
    }

    /** Backend bytes to {@code client}; a client that stops reading stops the backend, then times out. */
    void toClient(Channel client, Channel server, ByteBuf buf) {
        serverFrames.scan(buf);
        client.write(buf, client.voidPromise());
        clientNeedsFlush = true;
        if (!client.isWritable()) {
            server.config().setAutoRead(false);
            long timeout = limits.writeTimeoutMillis();
            if (timeout > 0 && writeTimeout == null) {
                writeTimeout = client.eventLoop().schedule(() -> Timeouts.clientStalled(session, limits),
                        timeout, TimeUnit.MILLISECONDS);
            }
        }
    }

    void flushBackend(Channel server) {
        if (backendNeedsFlush && server != null) {
            backendNeedsFlush = false;
            server.flush();
        }
    }

    void flushClient(Channel client) {
        if (clientNeedsFlush) {
            clientNeedsFlush = false;
            client.flush();
        }
    }

    /** The client reads again: its write timeout is off. */
    void clientWritable() {
        if (writeTimeout != null) {
            writeTimeout.cancel(false);
            writeTimeout = null;
        }
    }

    /** No packet is half-relayed in either direction. */
    boolean atBoundaries() {
        return clientFrames.atBoundary() && serverFrames.atBoundary() && !clientFrames.inLongPayload();
    }

    boolean serverAtBoundary() {
        return serverFrames.atBoundary();
    }

    /** Logged once per session: the tracker lost the protocol and relays the rest without interpreting it. */
    void logIfUntracked(Channel client, Backend backend) {
        if (tracker.state() == ResponseState.UNTRACKED && !untrackedLogged) {
            untrackedLogged = true;
            LOG.warnf("session %d: lost track of the protocol (%s); relaying without interpretation, client %s,"
                    + " backend %s", session.id(), tracker.untrackedReason(), client.remoteAddress(),
                    backend == null ? null : backend.address());
        }
    }

    void release() {
        if (writeTimeout != null) {
            writeTimeout.cancel(false);
        }
    }
}
