package io.mysqlproxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the MariaDB command-line tools as a user would, capturing what they print. */
public final class Cli {
    private Cli() {
    }

    public record Result(int exitCode, String output) {
    }

    /** Runs {@code tool} like {@link #run}, writing what it prints to {@code output} instead of keeping it. */
    public static int runTo(Path output, String tool, int port, String user, String... args) {
        return runTo(output, null, tool, port, user, args);
    }

    /** The same with the standard input read from {@code input} (null: none). */
    public static int runTo(Path output, Path input, String tool, int port, String user,
                            String... args) {
        List<String> cmd = new ArrayList<>(List.of(tool, "--no-defaults", "--protocol=TCP", "-h127.0.0.1",
                "-P" + port, "-u" + user));
        cmd.addAll(List.of(args));
        try {
            ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile());
            if (input != null) {
                builder.redirectInput(input.toFile());
            }
            Process p = builder.start();
            if (input == null) {
                p.getOutputStream().close();
            }
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(tool + " did not finish");
            }
            return p.exitValue();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code tool} (mariadb, mariadb-admin, ...) against 127.0.0.1:{@code port} with {@code args}. */
    public static Result run(String tool, int port, String user, String password, String stdin, String... args) {
        List<String> cmd = new ArrayList<>(List.of(tool, "--no-defaults", "--protocol=TCP", "-h127.0.0.1",
                "-P" + port, "-u" + user));
        if (!password.isEmpty()) {
            cmd.add("-p" + password);
        }
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (stdin != null) {
                p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(tool + " did not finish: " + out);
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
