package io.mysqlproxy.protocol;

/** A payload that does not have the shape its position in the exchange requires. */
public class MalformedPacketException extends RuntimeException {
    public MalformedPacketException(String message) {
        super(message);
    }

    public MalformedPacketException(String message, Throwable cause) {
        super(message, cause);
    }
}
