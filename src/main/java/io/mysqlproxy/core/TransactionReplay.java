package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.metrics.ListenerMetrics;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.protocol.ServerStatus;
import io.mysqlproxy.sql.CommitRisk;
import io.mysqlproxy.sql.StatementEffects;
import io.netty.buffer.ByteBuf;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Transaction replay for one multiplexed client of a splitting listener ({@code --transaction-replay}): its open
 * transaction is kept in a {@link TransactionLog}; when the primary is lost between two of its statements or before
 * answering one, the client's commands wait until a primary takes over, the transaction runs again there
 * ({@link ReplayedStatements}), and the client goes on if every answer is as before (the cut statement is sent as it
 * was), else gets an error and its connection closes.
 */
final class TransactionReplay {
    private static final Logger LOG = Logger.getLogger(TransactionReplay.class);
    /** How often a cut transaction looks for the primary that took over. */
    private static final long POLL_MILLIS = 50;

    private final ClientSession session;
    private final ConnectionLease lease;
    private final ReadWriteSplit split;
    private final ListenerMetrics metrics;
    private final TransactionLog log;
    private final long timeoutMillis;
    /** A cut transaction waits for a primary or runs again there. */
    private boolean replaying;

    TransactionReplay(ClientSession session, ConnectionLease lease, ReadWriteSplit split, ListenerMetrics metrics,
                      long maxBytes, long timeoutMillis) {
        this.session = session;
        this.lease = lease;
        this.split = split;
        this.metrics = metrics;
        this.log = new TransactionLog(maxBytes);
        this.timeoutMillis = timeoutMillis;
    }

    /** Whether the client's commands wait: its cut transaction is being replayed. */
    boolean replaying() {
        return replaying;
    }

    /** The client's {@code command}, framed, goes to the server now. */
    void sent(ByteBuf framed, MultiplexedCommand command) {
        // without autocommit any statement outside a transaction opens one
        int status = session.tracker().serverStatus();
        boolean implicit = (status & ServerStatus.AUTOCOMMIT) == 0 && (status & ServerStatus.IN_TRANS) == 0;
        log.sent(framed, command.code(), command.opensTransaction() || implicit);
    }

    /** Bytes of the answer, as they go to the client. */
    void answered(ByteBuf buf) {
        log.answered(buf);
    }

    /** The answer ended with the server status {@code status}. */
    void ended(int status) {
        log.ended((status & ServerStatus.IN_TRANS) != 0);
    }

    /**
     * The held connection closed; {@code commandCut}: a command of the client was running on it, not answered yet.
     * Returns true if the transaction is replayed; {@code next} then runs the client's next commands once it was.
     */
    boolean replay(boolean commandCut, Runnable next) {
        if (!log.replayable() || session.mirror().pinned() != null || lease.held() == null
                || commandCut && log.running() == null) {
            return false;
        }
        if (commandCut && CommitRisk.mayCommit(text(log.running()))) {
            // it may have committed on the lost server, and its writes may be on the new primary already: running
            // the transaction again there could apply it twice (MaxScale's transaction_replay_safe_commit)
            LOG.warnf("session %d: backend %s was lost while a statement that commits ran for client %s; whether"
                    + " its transaction was committed is unknown, so it is not replayed", session.id(),
                    session.backend().address(), session.clientAddress());
            return false;
        }
        Backend lost = lease.lostWhileRunning();
        replaying = true;
        metrics.transactionReplay(ListenerMetrics.Replay.STARTED);
        LOG.infof("session %d: backend %s was lost in the middle of a transaction of client %s; its %d statements"
                + " run again once a primary takes over", session.id(), lost.address(), session.clientAddress(),
                log.statements().size());
        awaitPrimary(new Cut(lost, commandCut, next));
        return true;
    }

    private static String text(ByteBuf framedQuery) {
        return framedQuery.toString(framedQuery.readerIndex() + Packets.HEADER_SIZE + 1,
                framedQuery.readableBytes() - Packets.HEADER_SIZE - 1, StandardCharsets.UTF_8);
    }

    /** A transaction cut by the loss of {@code lost}, waiting for a primary until its deadline. */
    private final class Cut {
        final Backend lost;
        final boolean commandCut;
        final Runnable next;
        final long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        /** The lost backend was seen not taking connections: once it takes them again it may be the one. */
        boolean lostWentDown;

        Cut(Backend lost, boolean commandCut, Runnable next) {
            this.lost = lost;
            this.commandCut = commandCut;
            this.next = next;
        }
    }

    private void awaitPrimary(Cut cut) {
        if (session.state() == SessionState.CLOSED) {
            return;
        }
        cut.lostWentDown |= !cut.lost.state().acceptsConnections();
        Backend primary = split.replayPrimary(cut.lostWentDown ? null : cut.lost);
        if (primary == null) {
            if (System.nanoTime() - cut.deadlineNanos >= 0) {
                failed(cut, "no primary took over within " + timeoutMillis + " ms");
            } else {
                session.client().eventLoop().schedule(() -> awaitPrimary(cut), POLL_MILLIS, TimeUnit.MILLISECONDS);
            }
            return;
        }
        lease.target(primary);
        lease.obtain(StatementEffects.NONE, () -> lease.replay(log.statements(), timeoutMillis,
                new ReplayedStatements.Outcome() {
                    @Override
                    public void replayed() {
                        replaying = false;
                        metrics.transactionReplay(ListenerMetrics.Replay.SUCCEEDED);
                        LOG.infof("session %d: the transaction of client %s ran again on %s with the same answers;"
                                + " it goes on there", session.id(), session.clientAddress(), primary.address());
                        if (cut.commandCut) {
                            session.links().server().writeAndFlush(log.running().retainedDuplicate());
                        } else {
                            cut.next.run();
                        }
                    }

                    @Override
                    public void failed(String reason) {
                        TransactionReplay.this.failed(cut, reason + " (on " + primary.address() + ")");
                    }
                }));
    }

    private void failed(Cut cut, String reason) {
        replaying = false;
        metrics.transactionReplay(ListenerMetrics.Replay.FAILED);
        LOG.warnf("session %d: the transaction of client %s, cut when backend %s was lost, was not replayed: %s",
                session.id(), session.clientAddress(), cut.lost.address(), reason);
        session.endWithError(ErrorCodes.LOCK_DEADLOCK, ErrorCodes.STATE_ROLLED_BACK, "mysqlproxy: the transaction"
                + " was cut when backend " + cut.lost.address() + " was lost and could not be replayed (" + reason
                + "); it was rolled back: run it again");
    }

    /** The session closed: what the log keeps goes. */
    void closed() {
        log.clear();
    }
}
