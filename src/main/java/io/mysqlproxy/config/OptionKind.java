package io.mysqlproxy.config;

import io.mysqlproxy.backend.BackendConfig;
import io.mysqlproxy.backend.BackendRole;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * What values an {@link Option} takes. Every option's value is checked at start whether or not its feature is used
 * (a budget of a script that is not there yet, an admin setting with the admin interface off), so that a typo stops
 * start-up at once instead of when the feature is turned on.
 *
 * @param expected what a valid value is, for the error message
 * @param valid    whether a value (trimmed) is one
 */
public record OptionKind(String expected, Predicate<String> valid) {
    public static final OptionKind TEXT = new OptionKind("text", v -> true);
    public static final OptionKind BOOLEAN = new OptionKind("true or false",
            v -> List.of("true", "1", "yes", "on", "false", "0", "no", "off").contains(v.toLowerCase(Locale.ROOT)));
    public static final OptionKind SECONDS = new OptionKind("a number of seconds, 0 or more", v -> {
        try {
            double d = Double.parseDouble(v);
            return d >= 0 && !Double.isInfinite(d);
        } catch (NumberFormatException e) {
            return false;
        }
    });
    /** {@code host:port}, {@code :port} or {@code [v6]:port}; empty where that turns the feature off. */
    public static final OptionKind ADDRESS = new OptionKind("an address (host:port, :port or [v6]:port), or empty",
            v -> v.isEmpty() || parses(() -> HostPort.parse(v, "0.0.0.0", 0)));
    public static final OptionKind BACKENDS = new OptionKind("addresses host:port[@weight], comma-separated",
            v -> Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                    .allMatch(s -> parses(() -> BackendConfig.parse(s,
                            BackendRole.READ_WRITE))));
    /** A file that must be there and readable when one is named. */
    public static final OptionKind FILE = new OptionKind("a readable file, or empty",
            v -> v.isEmpty() || Files.isRegularFile(Path.of(v)) && Files.isReadable(Path.of(v)));

    /** A number from 0 to 1. */
    public static final OptionKind FRACTION = new OptionKind("a number from 0 to 1", v -> {
        try {
            double d = Double.parseDouble(v);
            return d >= 0 && d <= 1;
        } catch (NumberFormatException e) {
            return false;
        }
    });

    /** A whole number from {@code min} to {@code max}. */
    public static OptionKind range(long min, long max) {
        return new OptionKind("a whole number from " + min + " to " + max, v -> {
            try {
                long n = Long.parseLong(v);
                return n >= min && n <= max;
            } catch (NumberFormatException e) {
                return false;
            }
        });
    }

    /** A whole number, {@code min} or more. */
    public static OptionKind integer(long min) {
        return new OptionKind("a whole number, " + min + " or more", v -> {
            try {
                return Long.parseLong(v) >= min;
            } catch (NumberFormatException e) {
                return false;
            }
        });
    }

    /** A whole number, {@code min} or more, or {@code auto}. */
    public static OptionKind integerOrAuto(long min) {
        OptionKind number = integer(min);
        return new OptionKind(number.expected() + ", or auto", v -> v.equals("auto") || number.valid().test(v));
    }

    /** Empty, or a value of {@code kind}. */
    public static OptionKind optional(OptionKind kind) {
        return new OptionKind(kind.expected() + ", or empty", v -> v.isEmpty() || kind.valid().test(v));
    }

    /** One of {@code choices}. */
    public static OptionKind oneOf(String... choices) {
        return new OptionKind("one of " + String.join(", ", choices), v -> List.of(choices).contains(v));
    }

    /** Whether {@code value} is valid; null when it is, else why not. */
    public String check(String value) {
        return valid.test(value.trim()) ? null : "expected " + expected;
    }

    private static boolean parses(Runnable parse) {
        try {
            parse.run();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
