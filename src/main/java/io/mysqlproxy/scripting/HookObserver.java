package io.mysqlproxy.scripting;

/** Told about every hook call and script change, for metrics; the scripting package does not know the registry. */
public interface HookObserver {
    HookObserver NONE = new HookObserver() {
    };

    /** A hook call finished after {@code nanos}, counted from when the connection asked for it. */
    default void hookCalled(String hook, long nanos) {
    }

    /** A hook call raised an error. */
    default void hookFailed(String hook) {
    }

    default void scriptSwapped() {
    }

    default void scriptRejected() {
    }
}
