package io.mysqlproxy;

import io.mysqlproxy.config.Option;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The text of {@code --help}, built from the option table so that it cannot drift from it. */
final class Usage {
    private Usage() {
    }

    /** The project version, and the Git commit it was built from when the build knew it. */
    static String version() {
        Properties build = new Properties();
        try (InputStream in = Usage.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                build.load(in);
            }
        } catch (IOException e) {
            return "(version unknown: " + e.getMessage() + ")";
        }
        String version = known(build.getProperty("version"));
        String commit = known(build.getProperty("commit"));
        if (version == null) {
            return "(version unknown)";
        }
        return commit == null ? version
                : version + " (commit " + commit + ("true".equals(build.getProperty("dirty")) ? ", modified" : "") + ")";
    }

    /** A filtered value, or null where the build left the placeholder (no Git). */
    private static String known(String value) {
        return value == null || value.isBlank() || value.startsWith("${") ? null : value;
    }

    static String text() {
        StringBuilder sb = new StringBuilder("Usage: mysqlproxy [OPTION...]\n\n");
        sb.append("Every option is also a Quarkus property mysqlproxy.<option> and a [mysql-proxy] key of --defaults-file.\n\n");
        for (Option o : Option.values()) {
            String names = (o.shortName() == null ? "    " : "-" + o.shortName() + ", ") + "--" + o.key();
            sb.append(String.format("  %-44s %s", names, o.description()));
            if (!o.defaultValue().isEmpty()) {
                sb.append(" [").append(o.defaultValue()).append(']');
            }
            sb.append('\n');
        }
        sb.append(String.format("  %-44s %s%n", "-h, --help", "show this text"));
        sb.append(String.format("  %-44s %s%n", "-V, --version", "show the version"));
        return sb.toString();
    }
}
