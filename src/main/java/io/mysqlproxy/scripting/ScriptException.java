package io.mysqlproxy.scripting;

/** A script that cannot be installed: it does not compile, or its top level raised an error. */
public class ScriptException extends RuntimeException {
    public ScriptException(String message) {
        super(message);
    }

    public ScriptException(String message, Throwable cause) {
        super(message, cause);
    }
}
