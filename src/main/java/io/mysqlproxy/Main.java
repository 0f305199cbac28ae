package io.mysqlproxy;

import io.mysqlproxy.config.ConfigException;
import io.mysqlproxy.config.ConfigLoader;
import io.mysqlproxy.config.Option;
import io.mysqlproxy.config.ProxyConfig;
import io.mysqlproxy.core.ProxyServer;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

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
    io.micrometer.prometheus.PrometheusMeterRegistry registry;

    @Inject
    io.mysqlproxy.health.RunningProxy running;

    @Inject
    io.javaoperatorsdk.operator.Operator operator;

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
            // Vert.x reads its event-loop count at boot, before run() sees the arguments
            Map<Option, String> cli = ConfigLoader.parseCommandLine(args);
            Config config = ConfigProvider.getConfig();
            int threads = new ConfigLoader(cli, name -> config.getOptionalValue(name, String.class), config.getPropertyNames()).eventThreads();
            System.setProperty("quarkus.vertx.event-loops-pool-size", Integer.toString(threads));
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
        } catch (ConfigException e) {
            LOG.error(e.getMessage());
            System.err.println("mysqlproxy: " + e.getMessage());
            return EXIT_USAGE;
        }
        ProxyServer server;
        try {
            server = new ProxyServer(vertx, config, registry).start();
            running.set(server);
            if (kubernetes) {
                LOG.info("starting the operator: listeners follow MySQLProxy resources");
                operator.start();
            }
        } catch (RuntimeException e) {
            LOG.error(e.getMessage());
            System.err.println("mysqlproxy: " + e.getMessage());
            return 1;
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
