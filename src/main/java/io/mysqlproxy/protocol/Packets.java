package io.mysqlproxy.protocol;

/**
 * Framing and generic packet markers of the MySQL client/server protocol.
 *
 * @see <a href="https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html">Basic packets</a>
 */
public final class Packets {
    /** Three bytes of payload length and one byte of sequence id. */
    public static final int HEADER_SIZE = 4;
    /** A frame of this payload length is continued by the next frame. */
    public static final int MAX_FRAME_PAYLOAD = 0xFFFFFF;

    public static final int OK = 0x00;
    public static final int AUTH_MORE_DATA = 0x01;
    public static final int LOCAL_INFILE = 0xFB;
    public static final int EOF = 0xFE;
    public static final int AUTH_SWITCH = 0xFE;
    public static final int ERR = 0xFF;

    /** An EOF packet (protocol 4.1) is shorter than this; longer 0xFE packets are OK packets or rows. */
    public static final int EOF_MAX_LENGTH = 9;
    public static final String SQLSTATE_MARKER = "#";

    private Packets() {
    }
}
