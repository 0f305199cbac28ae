package io.mysqlproxy.testing;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mysqlproxy.backend.BackendConfig;
import io.mysqlproxy.backend.BackendRole;
import io.mysqlproxy.backend.SelectionPolicy;
import io.mysqlproxy.config.AdminConfig;
import io.mysqlproxy.config.BackendTls;
import io.mysqlproxy.config.ClientTls;
import io.mysqlproxy.config.HealthCheck;
import io.mysqlproxy.config.LoginAdmission;
import io.mysqlproxy.config.HostPort;
import io.mysqlproxy.config.Limits;
import io.mysqlproxy.config.ListenerConfig;
import io.mysqlproxy.config.MonitoringConfig;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.config.ProxyConfig;
import io.mysqlproxy.config.RoutingConfig;
import io.mysqlproxy.config.ScriptConfig;
import io.mysqlproxy.core.ProxyServer;
import io.mysqlproxy.scripting.ScriptingOptions;
import io.mysqlproxy.config.CanaryConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/** A proxy started in the test JVM on a free port, with the defaults of the command line unless a test changes them. */
public final class TestProxy implements AutoCloseable {
    private static Vertx vertx;

    private final ProxyServer server;
    private final ProxyConfig config;

    private TestProxy(ProxyConfig config, MeterRegistry registry) {
        this.config = config;
        this.server = new ProxyServer(vertx(), config, registry).start();
    }

    public static synchronized Vertx vertx() {
        if (vertx == null) {
            vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(2));
        }
        return vertx;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static TestProxy to(MariaDbServer... backends) {
        Builder b = builder();
        for (MariaDbServer s : backends) {
            b.backend(s.address());
        }
        return b.start();
    }

    public ProxyServer server() {
        return server;
    }

    public ProxyConfig config() {
        return config;
    }

    public int port() {
        return server.listeners().get(0).boundPort();
    }

    /** The port the admin interface is bound to. */
    public int adminPort() {
        return server.admin().boundPort();
    }

    public String address() {
        return "127.0.0.1:" + port();
    }

    public String mariadbUrl(String db, String options) {
        return "jdbc:mariadb://127.0.0.1:" + port() + "/" + db + (options.isEmpty() ? "" : "?" + options);
    }

    public String mysqlUrl(String db, String options) {
        return "jdbc:mysql://127.0.0.1:" + port() + "/" + db + "?sslMode=DISABLED&allowPublicKeyRetrieval=true"
                + (options.isEmpty() ? "" : "&" + options);
    }

    @Override
    public void close() {
        server.shutdown(0);
    }

    /** Options of the proxy under test. */
    public static final class Builder {
        private final List<BackendConfig> backends = new ArrayList<>();
        private SelectionPolicy policy = SelectionPolicy.FIRST_AVAILABLE;
        private int maxConnections = Limits.maxConnectionsForDescriptors(
                Limits.descriptorLimit());
        private ClientTls clientTls = ClientTls.DISABLED;
        private BackendTls backendTls = BackendTls.DISABLED;
        private PoolConfig pool = PoolConfig.NONE;
        private Limits limits = new Limits(2_000, 10_000, 28_800_000, 28_800_000, 28_800_000, 1L << 30, 30_000);
        private HealthCheck health = new HealthCheck(200, 500, 2, 1, null, null, "SELECT 1");
        private final List<ListenerConfig> extraListeners = new ArrayList<>();
        private boolean defaultListener = true;
        private LoginAdmission logins;
        private RoutingConfig routing;

        /** No command-line listener: listeners come from the operator only. */
        public Builder withoutListeners() {
            defaultListener = false;
            return this;
        }
        private ScriptConfig script;
        private AdminConfig admin;
        private MonitoringConfig monitoring = MonitoringConfig.DEFAULTS;
        private MeterRegistry registry =
                new SimpleMeterRegistry();

        /** An admin interface on a free loopback port with this user, password and script (null: bundled). */
        public Builder admin(String user, String password, Path adminScript, int maxFailedLogins) {
            admin = new AdminConfig(new HostPort("127.0.0.1", 0), user, password, adminScript,
                    maxFailedLogins, Map.of("admin-username", user, "admin-password", "********"));
            return this;
        }

        public Builder monitoring(MonitoringConfig m) {
            monitoring = m;
            return this;
        }

        public Builder registry(MeterRegistry r) {
            registry = r;
            return this;
        }

        public Builder script(Path path, ScriptingOptions options) {
            script = new ScriptConfig(path, options);
            return this;
        }

        public Builder script(Path path) {
            return script(path, ScriptingOptions.DEFAULTS);
        }

        /** A canary tried beside the script set before. */
        public Builder canary(CanaryConfig canary) {
            script = script.withCanary(canary);
            return this;
        }

        public Builder backend(String address) {
            backends.add(BackendConfig.parse(address, BackendRole.READ_WRITE));
            return this;
        }

        public Builder readOnlyBackend(String address) {
            backends.add(BackendConfig.parse(address, BackendRole.READ_ONLY));
            return this;
        }

        /** A backend whose role follows its server's read_only (needs a health check that logs in). */
        public Builder autoBackend(String address) {
            backends.add(BackendConfig.parse(address, BackendRole.AUTO));
            return this;
        }

        /** The default listener's bound on logins in progress (default: the descriptor limit's). */
        public Builder logins(LoginAdmission l) {
            logins = l;
            return this;
        }

        /** The default listener's routing (default: none). */
        public Builder routing(RoutingConfig r) {
            routing = r;
            return this;
        }

        public Builder policy(SelectionPolicy p) {
            policy = p;
            return this;
        }

        public Builder maxConnections(int n) {
            maxConnections = n;
            return this;
        }

        public Builder clientTls(ClientTls tls) {
            clientTls = tls;
            return this;
        }

        public Builder backendTls(BackendTls tls) {
            backendTls = tls;
            return this;
        }

        public Builder pool(PoolConfig p) {
            pool = p;
            return this;
        }

        public Builder limits(UnaryOperator<Limits> change) {
            limits = change.apply(limits);
            return this;
        }

        public Builder health(HealthCheck h) {
            health = h;
            return this;
        }

        public Builder extraListener(String name, String... backendAddresses) {
            List<BackendConfig> list = new ArrayList<>();
            for (String a : backendAddresses) {
                list.add(BackendConfig.parse(a, BackendRole.READ_WRITE));
            }
            extraListeners.add(new ListenerConfig(name, new HostPort("127.0.0.1", 0), list, policy, maxConnections,
                    clientTls));
            return this;
        }

        public TestProxy start() {
            List<ListenerConfig> listeners = new ArrayList<>();
            if (defaultListener) {
                listeners.add(new ListenerConfig("default", new HostPort("127.0.0.1", 0), backends, policy,
                        maxConnections, clientTls).withLogins(logins).withRouting(routing));
            }
            listeners.addAll(extraListeners);
            return new TestProxy(new ProxyConfig(listeners, limits, health, backendTls, pool, script, admin,
                    monitoring), registry);
        }
    }
}
