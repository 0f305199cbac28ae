package io.mysqlproxy.core;

import io.mysqlproxy.config.MonitoringConfig;
import io.mysqlproxy.metrics.ListenerMetrics;
import io.mysqlproxy.metrics.QueryDigests;
import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.ConversationTracker;
import io.mysqlproxy.protocol.FrameHead;
import org.jboss.logging.Logger;

import java.util.ArrayDeque;

/**
 * Times one session's commands as the conversation tracker sees them start and end: command counters, the
 * statement latency histogram, query digests and the slow-query log. Clients may pipeline, so starts wait in a
 * queue until their response ends. Runs on the session's event loop; what the admin interface reads of the
 * current command is published through volatile fields.
 */
final class CommandRecorder implements ConversationTracker.Observer {
    private static final Logger SLOW_LOG = Logger.getLogger("io.mysqlproxy.slowlog");

    private final ClientSession session;
    private final ListenerMetrics metrics;
    private final QueryDigests digests;
    private final MonitoringConfig monitoring;
    private final boolean needsText;
    private final ArrayDeque<Started> running = new ArrayDeque<>(2);
    private volatile int currentCommand = -1;
    private volatile long currentSinceNanos;
    private volatile String currentText;

    private record Started(int command, long nanos, String text) {
    }

    CommandRecorder(ClientSession session, ListenerMetrics metrics, QueryDigests digests,
                    MonitoringConfig monitoring) {
        this.session = session;
        this.metrics = metrics;
        this.digests = digests;
        this.monitoring = monitoring;
        this.needsText = digests != null || monitoring.slowQueryMillis() > 0;
    }

    /** Payload bytes a command's frame head must hold for its text: the command byte and the text read. */
    int textBytes() {
        return needsText ? 1 + monitoring.textLength() : 0;
    }

    @Override
    public void commandStarted(int command, FrameHead head, boolean expectsResponse) {
        metrics.command(command);
        if (!expectsResponse) {
            return;
        }
        String text = needsText && command == Commands.COM_QUERY ? head.text(1, monitoring.textLength()) : null;
        long now = System.nanoTime();
        if (running.isEmpty()) {
            publish(command, now, text);
        }
        running.add(new Started(command, now, text));
    }

    @Override
    public void commandCompleted(int command, boolean error, long rows) {
        Started s = running.poll();
        if (s == null) {
            return;
        }
        Started next = running.peek();
        if (next == null) {
            publish(-1, 0, null);
        } else {
            publish(next.command, next.nanos, next.text);
        }
        if (s.command != Commands.COM_QUERY && s.command != Commands.COM_STMT_EXECUTE) {
            return;
        }
        long nanos = System.nanoTime() - s.nanos;
        metrics.query(nanos, error);
        if (s.text == null) {
            return;
        }
        if (digests != null) {
            digests.record(s.text, nanos, rows, error);
        }
        long slow = monitoring.slowQueryMillis();
        if (slow > 0 && nanos >= slow * 1_000_000) {
            SLOW_LOG.infof("slow query: %.3f s, %d rows%s, session %d, user %s, client %s, backend %s: %s",
                    nanos / 1e9, rows, error ? ", error" : "", session.id(), session.username(),
                    session.clientAddress(), session.backend() == null ? "-" : session.backend().address(), s.text);
        }
    }

    private void publish(int command, long since, String text) {
        currentCommand = command;
        currentSinceNanos = since;
        currentText = text;
    }

    /** The command running now (-1: none), when it started (System.nanoTime), and its text if a query. */
    int currentCommand() {
        return currentCommand;
    }

    long currentSinceNanos() {
        return currentSinceNanos;
    }

    String currentText() {
        return currentText;
    }
}
