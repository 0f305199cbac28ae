package io.mysqlproxy;

import io.javaoperatorsdk.operator.Operator;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.mysqlproxy.config.ConfigException;
import io.mysqlproxy.config.ConfigLoader;
import io.mysqlproxy.config.Limits;
import io.mysqlproxy.config.Option;
import io.mysqlproxy.config.ProxyConfig;
import io.mysqlproxy.core.ProxyServer;
import io.mysqlproxy.health.RunningProxy;
import io.mysqlproxy.scripting.ScriptException;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Entry point: reads the options, starts the proxy, and on SIGTERM drains it before Quarkus stops.
 */
@QuarkusMain
public class Main implements QuarkusApplication {
    private static final Logger LOG = Logger.getLogger(Main.class);
    static final int EXIT_USAGE = 2;
    /** How long after the shutdown timeout the process is halted if it has not ended (a thread that never returns). */
    static final long SHUTDOWN_GRACE_MILLIS = 5_000;

    @Inject
    Vertx vertx;

    /** The Prometheus registry itself, not Quarkus' composite: a meter of the composite costs a hop per update. */
    @Inject
    PrometheusMeterRegistry registry;

    @Inject
    RunningProxy running;

    @Inject
    Operator operator;

    public static void main(String... args) {
        for (String arg : args) {
            if (arg.equals("--help") || arg.equals("-h")) {
                System.out.print(Usage.text());
                return;
            }
            if (arg.equals("--version") || arg.equals("-V")) {
                System.out.println("mysqlproxy " + Usage.version());
                return;
            }
        }
        try {
            Map<Option, String> cli = ConfigLoader.parseCommandLine(args);
            Config config = ConfigProvider.getConfig();
            bootSettings(new ConfigLoader(cli, name -> config.getOptionalValue(name, String.class),
                    config.getPropertyNames()));
        } catch (ConfigException e) {
            System.err.println("mysqlproxy: " + e.getMessage());
            System.exit(EXIT_USAGE);
        }
        // Take SIGTERM and SIGINT from the JVM's shutdown hooks, which would close Vert.x under running sessions:
        // they only ask run() to return, and run() drains the proxy before Quarkus stops.
        for (String signal : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> Quarkus.asyncExit(0));
        }
        Quarkus.run(Main.class, (code, e) -> {
            if (e != null) {
                LOG.error("mysqlproxy failed", e);
            }
            System.exit(code);
        }, args);
    }

    /**
     * What Quarkus reads as it boots, before run() sees the arguments: Vert.x's event-loop count, and MySQL Proxy's
     * --log-level and --log-file as Quarkus' logging settings.
     */
    private static void bootSettings(ConfigLoader loader) {
        System.setProperty("quarkus.vertx.event-loops-pool-size", Integer.toString(loader.eventThreads()));
        String level = switch (loader.value(Option.LOG_LEVEL)) {
            case "error", "critical" -> "ERROR";
            case "warning" -> "WARN";
            case "message", "info" -> "INFO";
            case "debug" -> "DEBUG";
            default -> null;
        };
        if (level != null) {
            System.setProperty("quarkus.log.category.\"io.mysqlproxy\".level", level);
        }
        String file = loader.value(Option.LOG_FILE);
        if (!file.isEmpty()) {
            System.setProperty("quarkus.log.file.enable", "true");
            System.setProperty("quarkus.log.file.path", file);
        }
    }

    /** Writes the process id to MySQL Proxy's --pid-file, removed when the process ends. */
    private static void writePidFile(String file) {
        if (file.isEmpty()) {
            return;
        }
        Path path = Path.of(file);
        try {
            Files.writeString(path, ProcessHandle.current().pid() + "\n");
            path.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new ConfigException("cannot write --pid-file " + file + ": " + e.getMessage());
        }
    }

    /**
     * Ends the process after {@code millis} whatever is still running: a session whose thread never comes back must
     * not keep a terminating pod (or a supervised process) alive.
     */
    private static void haltAfter(long millis) {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                return;
            }
            LOG.errorf("shutdown did not finish within %d ms; halting the process", millis);
            Runtime.getRuntime().halt(1);
        }, "shutdown-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    private static int refuse(String message, int exitCode) {
        LOG.error(message);
        System.err.println("mysqlproxy: " + message);
        return exitCode;
    }

    /** MySQL Proxy raised its descriptor limit to --max-open-files; a JVM cannot, so it says when it falls short. */
    private static void warnIfDescriptorsBelow(String wanted) {
        long limit = Limits.descriptorLimit();
        if (!wanted.isEmpty() && Long.parseLong(wanted) > limit) {
            LOG.warnf("--max-open-files asks for %s descriptors, but this process may open %d and cannot raise the "
                    + "limit itself: raise it where the process starts (ulimit -n, the container's limits)", wanted,
                    limit);
        }
    }

    @Override
    public int run(String... args) {
        ProxyConfig config;
        boolean kubernetes;
        try {
            Config quarkus = ConfigProvider.getConfig();
            ConfigLoader loader = new ConfigLoader(ConfigLoader.parseCommandLine(args),
                    name -> quarkus.getOptionalValue(name, String.class), quarkus.getPropertyNames());
            config = loader.load();
            kubernetes = loader.kubernetes(System::getenv);
            if (loader.jsonLogs()) {
                JsonLogs.install();
            }
            loader.warnings().forEach(LOG::warn);
            warnIfDescriptorsBelow(loader.value(Option.MAX_OPEN_FILES));
            writePidFile(loader.value(Option.PID_FILE));
        } catch (ConfigException e) {
            return refuse(e.getMessage(), EXIT_USAGE);
        }
        ProxyServer server;
        try {
            server = new ProxyServer(vertx, config, registry).start();
            running.set(server);
            if (kubernetes) {
                LOG.info("starting the operator: listeners follow MySQLProxy resources");
                operator.start();
            }
        } catch (ScriptException e) {
            return refuse(e.getMessage(), EXIT_USAGE); // a script named by the options that cannot run
        } catch (RuntimeException e) {
            return refuse(e.getMessage(), 1);
        }
        Quarkus.waitForExit();
        if (kubernetes) {
            operator.stop(); // no resource event may open a listener while the proxy drains
        }
        long timeout = config.limits().shutdownTimeoutMillis();
        LOG.infof("shutting down: running commands may finish within %d ms", timeout);
        haltAfter(timeout + SHUTDOWN_GRACE_MILLIS);
        server.shutdown(timeout);
        return 0;
    }
}
