package io.mysqlproxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code mariadbd} in a temporary directory on a free port, which a test can stop, kill, pause and restart.
 * Data directories are copied from one template installed per JVM, so a server starts in well under a second.
 */
public final class MariaDbServer implements AutoCloseable {
    private static Path template;

    private final Path dir;
    private final int port;
    private final List<String> extraArgs;
    private Process process;

    private MariaDbServer(Path dir, int port, List<String> extraArgs) {
        this.dir = dir;
        this.port = port;
        this.extraArgs = extraArgs;
    }

    /** Starts a fresh server; {@code extraArgs} are further mariadbd options. */
    public static MariaDbServer start(String... extraArgs) {
        try {
            Path dir = Files.createTempDirectory("mariadb-test-");
            copyTree(template(), dir.resolve("data"));
            MariaDbServer server = new MariaDbServer(dir, freePort(), List.of(extraArgs));
            server.launch();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static synchronized Path template() throws IOException {
        if (template == null) {
            Path t = Files.createTempDirectory("mariadb-template-");
            List<String> cmd = new ArrayList<>(List.of(binary("mariadb-install-db"), "--no-defaults",
                    "--auth-root-authentication-method=normal", "--skip-test-db", "--datadir=" + t.resolve("data")));
            if (isRoot()) {
                cmd.add("--user=root");
            }
            run(cmd, t.resolve("install.log"));
            template = t.resolve("data");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(t)));
        }
        return template;
    }

    private void launch() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(binary("mariadbd"), "--no-defaults", "--datadir=" + dir.resolve("data"),
                "--port=" + port, "--bind-address=127.0.0.1", "--socket=" + dir.resolve("mysqld.sock"),
                "--pid-file=" + dir.resolve("mysqld.pid"), "--log-error=" + dir.resolve("error.log"),
                "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=16M", "--skip-name-resolve",
                "--max-allowed-packet=256M", "--local-infile=1", "--max-connections=2000",
                "--plugin-load-add=auth_ed25519"));
        if (isRoot()) {
            cmd.add("--user=root");
        }
        cmd.addAll(extraArgs);
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout.log").toFile()).start();
        ServerRegistry.add(this);
        awaitReady();
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("mariadbd exited: " + log());
            }
            try (Connection c = DriverManager.getConnection(jdbcUrl(), "root", "")) {
                return;
            } catch (SQLException e) {
                sleep(50);
            }
        }
        throw new IllegalStateException("mariadbd did not become ready: " + log());
    }

    public int port() {
        return port;
    }

    public String address() {
        return "127.0.0.1:" + port;
    }

    public String jdbcUrl() {
        return "jdbc:mariadb://127.0.0.1:" + port + "/";
    }

    public long pid() {
        return process.pid();
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Runs statements as root directly on this server (not through the proxy). */
    public void execute(String... sql) {
        try (Connection c = DriverManager.getConnection(jdbcUrl(), "root", "");
             Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("on " + address() + ": " + e.getMessage(), e);
        }
    }

    /** SIGKILL: the server dies at once, as in a crash. */
    public void kill() {
        process.destroyForcibly();
        waitExit();
    }

    /** SIGTERM and wait: a clean shutdown. */
    public void stop() {
        process.destroy();
        waitExit();
    }

    /** SIGSTOP: the server stops answering but keeps its sockets. */
    public void pause() {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    public void resume() {
        signal("CONT");
    }

    /** Starts the server again on the same port and data directory. */
    public void restart() {
        if (isRunning()) {
            stop();
        }
        try {
            launch();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Makes {@code replica} replicate from this server (both need --log-bin and distinct --server-id). */
    public void replicateTo(MariaDbServer replica) {
        replica.execute("STOP SLAVE", "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=" + port
                + ", MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos", "START SLAVE");
    }

    public String log() {
        try {
            return Files.readString(dir.resolve("error.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            resume();
            process.destroyForcibly();
            waitExit();
        }
        ServerRegistry.remove(this);
        deleteTree(dir);
    }

    private void signal(String name) {
        try {
            new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void waitExit() {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True when something accepts TCP connections on the port. */
    public static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The server binaries live in /usr/sbin on Debian, which is not on every user's PATH. */
    private static String binary(String name) {
        for (String dir : new String[] {"/usr/sbin", "/usr/bin", "/usr/local/bin"}) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return dir + "/" + name;
            }
        }
        return name;
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static void run(List<String> cmd, Path log) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + Files.readString(log));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
    }

    static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // already gone
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
