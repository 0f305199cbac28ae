package io.mysqlproxy.config;

/** A configuration the proxy cannot start with; the message names the option at fault. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
