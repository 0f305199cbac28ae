package io.mysqlproxy.protocol;

import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Each test walks one path of a command's response through the tracker, named after the path. */
class ConversationTrackerTest {
    private final ConversationTracker tracker = new ConversationTracker();
    private final FrameScanner client = new FrameScanner(tracker::onClientFrame);
    private final FrameScanner server = new FrameScanner(tracker::onServerFrame);

    private void client(int seq, int... payload) {
        client.scan(Unpooled.wrappedBuffer(Bytes.frame(seq, Bytes.of(payload))));
    }

    private void server(int seq, int... payload) {
        server.scan(Unpooled.wrappedBuffer(Bytes.frame(seq, Bytes.of(payload))));
    }

    private static final int[] COLUMN = {0x03, 'd', 'e', 'f', 0, 0, 0, 1, 'a', 0, 0x0c, 0x21, 0, 0, 0, 0, 0xfd, 0, 0, 0, 0, 0};
    private static final int[] EOF = {0xfe, 0, 0, 0x02, 0};
    private static final int[] EOF_MORE = {0xfe, 0, 0, 0x0a, 0};
    private static final int[] OK = {0, 0, 0, 0x02, 0, 0, 0};
    private static final int[] ERR = {0xff, 0x48, 0x04, '#', 'H', 'Y', '0', '0', '0', 'x'};

    @Test
    void queryTextResultWithEofPackets() {
        client(0, Commands.COM_QUERY, 'S');
        assertThat(tracker.state()).isEqualTo(ResponseState.FIRST);
        server(1, 1);
        server(2, COLUMN);
        assertThat(tracker.state()).isEqualTo(ResponseState.COLUMNS_EOF);
        server(3, EOF);
        server(4, 1, 'x');
        server(5, 0xfb); // a NULL row is a row, not a local-infile request
        assertThat(tracker.state()).isEqualTo(ResponseState.ROWS);
        server(6, EOF);
        assertThat(tracker.idle()).isTrue();
    }

    @Test
    void theObserverSeesEachCommandStartAndEndWithItsRowsAndErrors() {
        List<String> seen = new ArrayList<>();
        tracker.observer(new ConversationTracker.Observer() {
            @Override
            public void commandStarted(int command, FrameHead head, boolean expectsResponse) {
                seen.add("start " + Commands.name(command) + " " + head.text(1, 100) + " " + expectsResponse);
            }

            @Override
            public void commandCompleted(int command, boolean error, long rows) {
                seen.add("done " + Commands.name(command) + " error=" + error + " rows=" + rows);
            }
        });
        client(0, Commands.COM_QUERY, 'S', 'E', 'L');
        server(1, 1);
        server(2, COLUMN);
        server(3, EOF);
        server(4, 1, 'x');
        server(5, 1, 'y');
        server(6, EOF);
        client(0, Commands.COM_STMT_CLOSE, 1, 0, 0, 0);
        client(0, Commands.COM_QUERY, 'X');
        server(1, ERR);
        assertThat(seen).containsExactly("start COM_QUERY SEL true", "done COM_QUERY error=false rows=2",
                "start COM_STMT_CLOSE \u0001\u0000\u0000\u0000 false", "start COM_QUERY X true",
                "done COM_QUERY error=true rows=0");
    }

    @Test
    void queryTextResultWithDeprecateEof() {
        tracker.deprecateEof(true);
        client(0, Commands.COM_QUERY, 'S');
        server(1, 1);
        server(2, COLUMN);
        assertThat(tracker.state()).isEqualTo(ResponseState.ROWS);
        server(3, 1, 'x');
        server(4, 0xfe, 0, 0, 0x02, 0, 0, 0);
        assertThat(tracker.idle()).isTrue();
    }

    @Test
    void multiStatementOkThenResultSetThenOk() {
        client(0, Commands.COM_QUERY, 'S');
        server(1, 0, 0, 0, 0x0a, 0, 0, 0); // OK with MORE_RESULTS_EXISTS
        assertThat(tracker.state()).isEqualTo(ResponseState.FIRST);
        server(2, 1);
        server(3, COLUMN);
        server(4, EOF);
        server(5, EOF_MORE);
        assertThat(tracker.state()).isEqualTo(ResponseState.FIRST);
        server(6, OK);
        assertThat(tracker.idle()).isTrue();
    }

    @Test
    void errorInTheMiddleOfRowsEndsTheResponse() {
        client(0, Commands.COM_QUERY, 'S');
        server(1, 1);
        server(2, COLUMN);
        server(3, EOF);
        server(4, 1, 'x');
        server(5, ERR);
        assertThat(tracker.idle()).isTrue();
    }

    @Test
    void localInfileRequestUploadAndResult() {
        client(0, Commands.COM_QUERY, 'L');
        server(1, 0xfb, '/', 't');
        assertThat(tracker.state()).isEqualTo(ResponseState.INFILE_UPLOAD);
        for (int seq = 2; seq < 300; seq++) {
            client(seq & 0xff, 'd', 'a', 't', 'a'); // sequence ids wrap through 0: still file data
        }
        assertThat(tracker.pendingCommands()).isEqualTo(1);
        client(300 & 0xff);
        assertThat(tracker.state()).isEqualTo(ResponseState.INFILE_RESULT);
        server(301 & 0xff, OK);
        assertThat(tracker.idle()).isTrue();
    }

    @Test
    void prepareWithParamsAndColumns() {
        client(0, Commands.COM_STMT_PREPARE, 'S');
        server(1, 0, 1, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0); // id 1, 1 column, 2 params
        assertThat(tracker.state()).isEqualTo(ResponseState.PREPARE_PARAMS);
        server(2, COLUMN);
        server(3, COLUMN);
        server(4, EOF);
        assertThat(tracker.state()).isEqualTo(ResponseState.PREPARE_COLUMNS);
        server(5, COLUMN);
        server(6, EOF);
        assertThat(tracker.idle()).isTrue();
        assertThat(tracker.preparedId()).isEqualTo(1);
        assertThat(tracker.preparedParams()).isEqualTo(2);
    }

    /** A prepare's answer holds no server status; a ping's OK does: a session-state flag read after each is its own. */
    @Test
    void onlyAnswersThatReportTheServerStatusUpdateIt() {
        client(0, Commands.COM_QUERY, 'S');
        server(1, 0, 0, 0, 0x02 | 0x40, 0x40, 0, 0); // autocommit, session state changed
        assertThat(tracker.lastResponseReportedStatus()).isTrue();
        assertThat(tracker.serverStatus() & ServerStatus.SESSION_STATE_CHANGED).isNotZero();
        client(0, Commands.COM_STMT_PREPARE, 'D');
        server(1, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        assertThat(tracker.lastResponseReportedStatus()).isFalse();
        assertThat(tracker.preparedId()).isEqualTo(7);
        client(0, Commands.COM_PING);
        server(1, OK);
        assertThat(tracker.lastResponseReportedStatus()).isTrue();
        assertThat(tracker.serverStatus()).isEqualTo(ServerStatus.AUTOCOMMIT);
    }

    @Test
    void prepareWithoutParamsOrColumnsIsOnePacket() {
        client(0, Commands.COM_STMT_PREPARE, 'D');
        server(1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        assertThat(tracker.idle()).isTrue();
    }

    @Test
    void executeOpeningACursorEndsAtTheColumnsEofThenFetchStreamsRows() {
        client(0, Commands.COM_STMT_EXECUTE, 1, 0, 0, 0, 1);
        server(1, 1);
        server(2, COLUMN);
        server(3, 0xfe, 0, 0, 0x42, 0); // EOF with CURSOR_EXISTS
        assertThat(tracker.idle()).isTrue();
        client(0, Commands.COM_STMT_FETCH, 1, 0, 0, 0, 5, 0, 0, 0);
        server(1, 0, 0, 1);
        server(2, 0, 0, 2);
        server(3, 0xfe, 0, 0, 0xc2, 0); // LAST_ROW_SENT
        assertThat(tracker.idle()).isTrue();
    }

    @Test
    void changeUserWithAuthSwitchRequest() {
        client(0, Commands.COM_CHANGE_USER, 'b', 'o', 'b', 0);
        server(1, 0xfe, 'm', 'y', 's', 'q', 'l', 0, 1, 2, 3);
        assertThat(tracker.state()).isEqualTo(ResponseState.AUTH);
        client(2, 9, 9, 9);
        assertThat(tracker.pendingCommands()).isEqualTo(1);
        server(3, OK);
        assertThat(tracker.idle()).isTrue();
    }

    @Test
    void statisticsAnswerIsOneBarePacket() {
        client(0, Commands.COM_STATISTICS);
        server(1, 'U', 'p', 't', 'i', 'm', 'e');
        assertThat(tracker.idle()).isTrue();
    }

    @Test
    void pipelinedCommandsAreAnsweredInOrder() {
        client(0, Commands.COM_PING);
        client(0, Commands.COM_QUERY, 'S');
        client(0, Commands.COM_STMT_CLOSE, 1, 0, 0, 0);
        client(0, Commands.COM_PING);
        assertThat(tracker.pendingCommands()).isEqualTo(3);
        server(1, OK);
        assertThat(tracker.currentCommand()).isEqualTo(Commands.COM_QUERY);
        server(1, OK);
        server(1, OK);
        assertThat(tracker.idle()).isTrue();
    }

    @Test
    void quitExpectsNoAnswer() {
        client(0, Commands.COM_QUIT);
        assertThat(tracker.idle()).isTrue();
        assertThat(tracker.quitSent()).isTrue();
    }

    @Test
    void nonsenseFromTheServerStopsInterpretation() {
        client(0, Commands.COM_QUERY, 'S');
        server(1, 1);
        server(2, COLUMN);
        server(3, 'n', 'o', 't', ' ', 'e', 'o', 'f');
        assertThat(tracker.state()).isEqualTo(ResponseState.UNTRACKED);
        assertThat(tracker.untrackedReason()).contains("expected EOF");
        assertThat(tracker.idle()).isFalse();
    }

    @Test
    void unsolicitedErrorOnAnIdleConnectionIsIgnored() {
        server(0, ERR);
        assertThat(tracker.idle()).isTrue();
    }
}
