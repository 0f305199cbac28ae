package io.mysqlproxy.protocol;

/**
 * Follows the command phase of one client/server conversation from frame heads alone: which commands wait for a
 * response (clients may pipeline several), where each response ends, and where the client sends something other
 * than a command (a local file, an authentication reply). It never changes the bytes. When the server's packets stop
 * making sense it falls back to {@link ResponseState#UNTRACKED} and the relay goes on forwarding.
 */
public final class ConversationTracker {
    /** Told where each command starts and ends, for statistics. */
    public interface Observer {
        /** A command starts; {@code head} is its first frame, valid only during the call. */
        void commandStarted(int command, FrameHead head, boolean expectsResponse);

        /** The response to the oldest pending command ended. */
        void commandCompleted(int command, boolean error, long rows);
    }

    private static final Observer NONE = new Observer() {
        @Override
        public void commandStarted(int command, FrameHead head, boolean expectsResponse) {
        }

        @Override
        public void commandCompleted(int command, boolean error, long rows) {
        }
    };

    private final CommandQueue pending = new CommandQueue();
    private Observer observer = NONE;
    private boolean failed;
    private long rows;
    private boolean deprecateEof;
    private ResponseState state = ResponseState.IDLE;
    private long columnsLeft;
    private long prepareColumns;
    /** Statement id and parameter count of the last COM_STMT_PREPARE the server accepted, or -1 and 0. */
    private long preparedId = -1;
    private int preparedParams;
    private int lastSeq;
    /** Server status flags of the last OK or EOF that ended a result, AUTOCOMMIT until one arrives. */
    private int serverStatus = ServerStatus.AUTOCOMMIT;
    /** The last non-zero insert id an OK packet reported (what LAST_INSERT_ID() returns on that connection). */
    private long lastInsertId;
    private boolean lastFailed;
    /** Whether the response under way, and the last completed one, reported the server status. */
    private boolean statusReported;
    private boolean lastReportedStatus;
    private boolean quitSent;
    private long clientPacketLength;
    private int lastCommand = -1;
    private String untrackedReason;

    public void observer(Observer value) {
        this.observer = value;
    }

    public void deprecateEof(boolean value) {
        this.deprecateEof = value;
    }

    public ResponseState state() {
        return state;
    }

    /** True when no command waits for a response. */
    public boolean idle() {
        return pending.isEmpty() && state != ResponseState.UNTRACKED;
    }

    public int pendingCommands() {
        return pending.size();
    }

    /** The command whose response is under way, or -1. */
    public int currentCommand() {
        return pending.isEmpty() ? -1 : pending.peek();
    }

    public int lastCommand() {
        return lastCommand;
    }

    /** Sequence id of the last frame seen in either direction; an inserted packet must use the next one. */
    /** The server status the last completed result reported (transaction state, autocommit). */
    public int serverStatus() {
        return serverStatus;
    }

    /** The last non-zero insert id reported since the previous call, or 0; forgets it. */
    public long takeLastInsertId() {
        long id = lastInsertId;
        lastInsertId = 0;
        return id;
    }

    /**
     * Whether the response to the last completed command reported the server status (a statement's OK or end of
     * rows, a command's OK); after others (a prepared statement's definitions, an error) {@link #serverStatus} is
     * older than it.
     */
    public boolean lastResponseReportedStatus() {
        return lastReportedStatus;
    }

    /** Whether the response to the last completed command was an error. */
    public boolean lastCommandFailed() {
        return lastFailed;
    }

    /** The statement id of the last COM_STMT_PREPARE the server accepted (-1 before any). */
    public long preparedId() {
        return preparedId;
    }

    /** How many parameters that statement has. */
    public int preparedParams() {
        return preparedParams;
    }

    public int lastSeq() {
        return lastSeq;
    }

    public boolean quitSent() {
        return quitSent;
    }

    public String untrackedReason() {
        return untrackedReason;
    }

    /** Total length of the client packet the last frame belongs to, continuation frames included. */
    public long clientPacketLength() {
        return clientPacketLength;
    }

    /** Observes one frame the client sent. */
    public void onClientFrame(FrameHead head) {
        lastSeq = head.seq();
        if (head.continuation()) {
            clientPacketLength += head.length();
            return;
        }
        clientPacketLength = head.length();
        if (state == ResponseState.INFILE_UPLOAD) {
            if (head.length() == 0) {
                state = ResponseState.INFILE_RESULT;
            }
            return;
        }
        if (state == ResponseState.AUTH && head.seq() != 0) {
            return;
        }
        if (head.seq() != 0 || head.length() == 0) {
            return; // not a command: the server will answer it or close, and the stream stays framed
        }
        int command = head.firstByte();
        lastCommand = command;
        if (command == Commands.COM_QUIT) {
            quitSent = true;
        }
        if (Commands.expectsNoResponse(command)) {
            observer.commandStarted(command, head, false);
            return;
        }
        observer.commandStarted(command, head, true);
        pending.add(command);
        if (state == ResponseState.IDLE) {
            state = ResponseState.FIRST;
        }
    }

    /** Observes one frame the server sent. */
    public void onServerFrame(FrameHead head) {
        lastSeq = head.seq();
        if (head.continuation() || state == ResponseState.UNTRACKED) {
            return;
        }
        if (pending.isEmpty()) {
            return; // unsolicited, e.g. the ERR a server sends before it closes an idle connection
        }
        try {
            advance(head);
        } catch (MalformedPacketException e) {
            untrack(e.getMessage());
        }
    }

    private void advance(FrameHead head) {
        int first = head.firstByte();
        if (first == Packets.ERR) {
            failed = true;
        }
        switch (state) {
            case FIRST -> first(head, first);
            case COLUMNS -> {
                if (--columnsLeft == 0) {
                    state = deprecateEof ? ResponseState.ROWS : ResponseState.COLUMNS_EOF;
                }
            }
            case COLUMNS_EOF -> columnsEof(head, first);
            case ROWS -> rows(head, first);
            case PREPARE_PARAMS -> {
                if (--columnsLeft == 0) {
                    state = deprecateEof ? afterPrepareParams() : ResponseState.PREPARE_PARAMS_EOF;
                }
            }
            case PREPARE_PARAMS_EOF -> state = afterPrepareParams();
            case PREPARE_COLUMNS -> {
                if (--columnsLeft == 0) {
                    if (deprecateEof) {
                        complete();
                    } else {
                        state = ResponseState.PREPARE_COLUMNS_EOF;
                    }
                }
            }
            case PREPARE_COLUMNS_EOF, SINGLE -> complete();
            case INFILE_UPLOAD -> untrack("server sent a packet while the client was sending a local file");
            case INFILE_RESULT -> {
                if (first == Packets.OK) {
                    okInsertId(head);
                    endOfResult(OkPacket.statusFlags(head));
                } else {
                    complete();
                }
            }
            case AUTH -> {
                if (first == Packets.OK || first == Packets.ERR) {
                    complete();
                }
            }
            default -> untrack("server packet in state " + state);
        }
    }

    private void first(FrameHead head, int first) {
        int command = pending.peek();
        switch (command) {
            case Commands.COM_QUERY, Commands.COM_STMT_EXECUTE, Commands.COM_STMT_BULK_EXECUTE,
                    Commands.COM_PROCESS_INFO -> resultSetStart(head, first, command == Commands.COM_QUERY);
            case Commands.COM_STMT_PREPARE -> prepareStart(head, first);
            case Commands.COM_STMT_FETCH, Commands.COM_FIELD_LIST, Commands.COM_BINLOG_DUMP,
                    Commands.COM_BINLOG_DUMP_GTID -> {
                state = ResponseState.ROWS;
                rows(head, first);
            }
            case Commands.COM_CHANGE_USER -> {
                state = ResponseState.AUTH;
                advance(head);
            }
            default -> {
                if (first == Packets.OK) {
                    serverStatus = OkPacket.statusFlags(head);
                    statusReported = true;
                }
                complete(); // OK, ERR, EOF or a bare string: always one packet
            }
        }
    }

    private void resultSetStart(FrameHead head, int first, boolean mayAskForFile) {
        if (first == Packets.ERR) {
            complete();
        } else if (first == Packets.OK) {
            okInsertId(head);
            endOfResult(OkPacket.statusFlags(head));
        } else if (first == Packets.LOCAL_INFILE && mayAskForFile) {
            state = ResponseState.INFILE_UPLOAD;
        } else {
            columnsLeft = head.lenEncAt(0);
            if (columnsLeft <= 0) {
                throw new MalformedPacketException("result set with " + columnsLeft + " columns");
            }
            state = ResponseState.COLUMNS;
        }
    }

    private void prepareStart(FrameHead head, int first) {
        if (first != Packets.OK) {
            complete();
            return;
        }
        preparedId = head.u32At(1);
        prepareColumns = head.u16At(5);
        columnsLeft = head.u16At(7);
        preparedParams = (int) columnsLeft;
        if (columnsLeft > 0) {
            state = ResponseState.PREPARE_PARAMS;
        } else {
            state = afterPrepareParams();
        }
    }

    private ResponseState afterPrepareParams() {
        columnsLeft = prepareColumns;
        if (prepareColumns == 0) {
            complete();
            return state;
        }
        return ResponseState.PREPARE_COLUMNS;
    }

    private void columnsEof(FrameHead head, int first) {
        if (first == Packets.ERR) {
            complete();
            return;
        }
        if (first != Packets.EOF) {
            throw new MalformedPacketException(String.format("expected EOF after columns, got 0x%02x", first));
        }
        int status = EofPacket.statusFlags(head);
        if (pending.peek() == Commands.COM_STMT_EXECUTE && (status & ServerStatus.CURSOR_EXISTS) != 0) {
            complete(); // rows come later, one COM_STMT_FETCH at a time
        } else {
            state = ResponseState.ROWS;
        }
    }

    private void rows(FrameHead head, int first) {
        if (first == Packets.ERR) {
            complete();
        } else if (first == Packets.EOF && head.length() < Packets.MAX_FRAME_PAYLOAD
                && (deprecateEof || head.length() < Packets.EOF_MAX_LENGTH)) {
            endOfResult(deprecateEof ? OkPacket.statusFlags(head) : EofPacket.statusFlags(head));
        } else {
            rows++;
        }
    }

    private void okInsertId(FrameHead head) {
        long id = OkPacket.lastInsertId(head);
        if (id != 0) {
            lastInsertId = id;
        }
    }

    private void endOfResult(int status) {
        serverStatus = status;
        statusReported = true;
        if ((status & ServerStatus.MORE_RESULTS_EXISTS) != 0) {
            state = ResponseState.FIRST;
        } else {
            complete();
        }
    }

    private void complete() {
        int command = pending.poll();
        observer.commandCompleted(command, failed, rows);
        lastFailed = failed;
        failed = false;
        lastReportedStatus = statusReported;
        statusReported = false;
        rows = 0;
        state = pending.isEmpty() ? ResponseState.IDLE : ResponseState.FIRST;
    }

    private void untrack(String reason) {
        untrackedReason = reason;
        state = ResponseState.UNTRACKED;
    }
}
