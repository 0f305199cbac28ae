package io.mysqlproxy;

import io.mysqlproxy.config.Option;

/** The text of {@code --help}, built from the option table so that it cannot drift from it. */
final class Usage {
    private Usage() {
    }

    static String version() {
        String v = Usage.class.getPackage().getImplementationVersion();
        return v == null ? "(development build)" : v;
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
