package io.mysqlproxy.protocol;

/** Where the server is within its response to the oldest command still waiting for one. */
public enum ResponseState {
    /** No command is waiting for a response. */
    IDLE,
    /** The next packet is the first of a response (or of the next result set of a multi-result response). */
    FIRST,
    /** Column definitions of a result set. */
    COLUMNS,
    /** The EOF packet after column definitions (without CLIENT_DEPRECATE_EOF). */
    COLUMNS_EOF,
    /** Rows, until an EOF, OK or ERR packet. */
    ROWS,
    /** Parameter definitions of a COM_STMT_PREPARE response. */
    PREPARE_PARAMS,
    PREPARE_PARAMS_EOF,
    /** Column definitions of a COM_STMT_PREPARE response. */
    PREPARE_COLUMNS,
    PREPARE_COLUMNS_EOF,
    /** The server asked for a local file; the client is sending it. */
    INFILE_UPLOAD,
    /** The client has sent the whole file; the server's OK or ERR comes next. */
    INFILE_RESULT,
    /** An authentication exchange (COM_CHANGE_USER): packets both ways until OK or ERR. */
    AUTH,
    /** Any one packet (COM_STATISTICS answers with a bare string). */
    SINGLE,
    /** The stream no longer matched the protocol; packets are relayed without interpretation. */
    UNTRACKED
}
