package io.mysqlproxy.operator;

/** The resource cannot be applied as it is; {@code condition} is the status condition that says why. */
final class SpecException extends RuntimeException {
    private final String condition;
    private final String reason;

    SpecException(String condition, String reason, String message) {
        super(message);
        this.condition = condition;
        this.reason = reason;
    }

    String condition() {
        return condition;
    }

    String reason() {
        return reason;
    }
}
