package io.mysqlproxy;

import org.jboss.logmanager.ExtFormatter;
import org.jboss.logmanager.ExtHandler;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.LogContext;
import org.jboss.logmanager.handlers.ConsoleHandler;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.Handler;

/**
 * --log-format=json: console lines become one JSON object each ({@code timestamp}, {@code level},
 * {@code logger}, {@code thread}, {@code message}, {@code exception}) for log collectors. Neither Quarkus' JSON
 * logging extension nor the JSON provider the log manager's own formatter needs is available here, so this small
 * formatter is written by hand.
 */
final class JsonLogs extends ExtFormatter {
    JsonLogs() {
    }

    static void install() {
        for (Handler h : LogContext.getLogContext().getLogger("").getHandlers()) {
            apply(h);
        }
    }

    private static void apply(Handler h) {
        if (h instanceof ConsoleHandler) {
            h.setFormatter(new JsonLogs());
        }
        if (h instanceof ExtHandler ext) {
            for (Handler child : ext.getHandlers()) {
                apply(child);
            }
        }
    }

    @Override
    public String format(ExtLogRecord r) {
        StringBuilder out = new StringBuilder(256).append('{');
        field(out, "timestamp", Instant.ofEpochMilli(r.getMillis()).toString()).append(',');
        field(out, "level", r.getLevel().getName()).append(',');
        field(out, "logger", r.getLoggerName()).append(',');
        field(out, "thread", r.getThreadName()).append(',');
        field(out, "message", formatMessage(r));
        if (r.getThrown() != null) {
            StringWriter trace = new StringWriter();
            r.getThrown().printStackTrace(new PrintWriter(trace));
            field(out.append(','), "exception", trace.toString());
        }
        return out.append("}\n").toString();
    }

    private static StringBuilder field(StringBuilder out, String name, String value) {
        out.append('"').append(name).append("\":");
        if (value == null) {
            return out.append("null");
        }
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"');
    }
}
