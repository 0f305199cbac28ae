package io.mysqlproxy.operator;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.mysqlproxy.backend.BackendConfig;
import io.mysqlproxy.backend.BackendRole;
import io.mysqlproxy.backend.SelectionPolicy;
import io.mysqlproxy.config.AdminConfig;
import io.mysqlproxy.config.ClientTls;
import io.mysqlproxy.config.ClientTlsMode;
import io.mysqlproxy.config.HealthCheck;
import io.mysqlproxy.config.HostPort;
import io.mysqlproxy.config.Limits;
import io.mysqlproxy.config.ListenerConfig;
import io.mysqlproxy.config.LoginAdmission;
import io.mysqlproxy.config.MultiplexingConfig;
import io.mysqlproxy.config.RoutingConfig;
import io.mysqlproxy.config.CanaryConfig;
import io.mysqlproxy.config.ScriptConfig;
import io.mysqlproxy.scripting.ScriptingOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a MySQLProxy resource, with the ConfigMap, Secrets and endpoints it names, into the listener configuration
 * the proxy applies: the same snapshot the command line produces. What cannot be turned into one raises a
 * {@link SpecException} naming the condition to report.
 */
final class ListenerTranslator {
    static final String SCRIPT_LOADED = "ScriptLoaded";
    static final String CANARY_HEALTHY = "CanaryHealthy";
    private static final Pattern PROMOTE_AFTER = Pattern.compile("after ([0-9]+)([smh])");
    static final String BACKENDS_AVAILABLE = "BackendsAvailable";
    static final String READY = "Ready";
    /** Present when backends have role auto: whether exactly one of their servers takes the writes. */
    static final String SINGLE_WRITER = "SingleWriter";

    private final KubernetesClient client;
    private final Path tlsDir;
    private final BackendDiscoverer discoverer;

    ListenerTranslator(KubernetesClient client, Path tlsDir) {
        this.client = client;
        this.tlsDir = tlsDir;
        this.discoverer = new BackendDiscoverer(client);
    }

    /** The listener's name in the proxy: namespace/name, unique per cluster. */
    static String listenerName(MySQLProxy r) {
        return r.getMetadata().getNamespace() + "/" + r.getMetadata().getName();
    }

    /**
     * The listener a resource asks for. A script that cannot be read (no ConfigMap, no key) does not stop the rest:
     * the translation carries the problem, and {@code config.script()} is null for the caller to decide.
     */
    Translation translate(MySQLProxy r) {
        MySQLProxySpec spec = r.getSpec();
        if (spec == null || spec.listener == null || spec.listener.port == null) {
            throw new SpecException(READY, "InvalidSpec", "spec.listener.port is required");
        }
        String ns = r.getMetadata().getNamespace();
        ScriptConfig script = null;
        SpecException scriptProblem = null;
        try {
            script = script(ns, spec);
        } catch (SpecException e) {
            scriptProblem = e;
        }
        ListenerConfig config = new ListenerConfig(listenerName(r), new HostPort("0.0.0.0", spec.listener.port),
                backends(ns, spec), policy(spec),
                spec.listener.maxConnections == null
                        ? Limits.maxConnectionsForDescriptors(
                                Limits.descriptorLimit())
                        : spec.listener.maxConnections, tls(r), script,
                healthCheck(ns, spec), admin(r), multiplexing(spec), logins(spec.listener), routing(spec));
        return new Translation(config, scriptProblem);
    }

    /** The resource's read/write splitting, or none. */
    private static RoutingConfig routing(MySQLProxySpec spec) {
        MySQLProxySpec.Routing r = spec.routing;
        if (r == null) {
            return RoutingConfig.NONE;
        }
        if (r.maxReplicationLagSeconds != null && !loggedInHealthCheck(spec)) {
            throw new SpecException(READY, "InvalidSpec", "spec.routing.maxReplicationLagSeconds compares the lag a"
                    + " logged-in health check measures; set spec.healthCheck.credentialsSecretRef");
        }
        RoutingConfig.Mode mode = field("spec.routing.mode", () -> r.mode == null ? RoutingConfig.Mode.NONE
                : RoutingConfig.Mode.parse(r.mode));
        RoutingConfig.CausalReads causal = field("spec.routing.causalReads", () -> r.causalReads == null
                ? RoutingConfig.CausalReads.NONE : RoutingConfig.CausalReads.parse(r.causalReads));
        if (r.causalReadsTimeoutSeconds != null && !(r.causalReadsTimeoutSeconds >= 0)) {
            throw new SpecException(READY, "InvalidSpec", "spec.routing.causalReadsTimeoutSeconds must not be"
                    + " negative");
        }
        if (r.transactionReplayTimeoutSeconds != null && !(r.transactionReplayTimeoutSeconds >= 0)
                || r.transactionReplayMaxBytes != null && r.transactionReplayMaxBytes < 0) {
            throw new SpecException(READY, "InvalidSpec", "spec.routing.transactionReplayTimeoutSeconds and"
                    + " transactionReplayMaxBytes must not be negative");
        }
        RoutingConfig.TransactionReplay off = RoutingConfig.TransactionReplay.OFF;
        RoutingConfig.TransactionReplay replay = new RoutingConfig.TransactionReplay(
                Boolean.TRUE.equals(r.transactionReplay),
                r.transactionReplayMaxBytes == null ? off.maxBytes() : r.transactionReplayMaxBytes,
                r.transactionReplayTimeoutSeconds == null ? off.timeoutMillis()
                        : Math.round(r.transactionReplayTimeoutSeconds * 1000));
        return new RoutingConfig(mode, r.maxReplicationLagSeconds == null ? -1 : r.maxReplicationLagSeconds, causal,
                r.causalReadsTimeoutSeconds == null ? RoutingConfig.DEFAULT_CAUSAL_READS_TIMEOUT_MILLIS
                        : Math.round(r.causalReadsTimeoutSeconds * 1000), replay);
    }

    /** A value of the resource parsed by {@code parse}; one it refuses is an invalid spec naming {@code field}. */
    private static <T> T field(String field, Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new SpecException(READY, "InvalidSpec", field + ": " + e.getMessage());
        }
    }

    private static boolean loggedInHealthCheck(MySQLProxySpec spec) {
        return spec.healthCheck != null && spec.healthCheck.credentialsSecretRef != null;
    }

    /** Whether every backend's role follows its server's read_only ({@code spec.routing.backendRoleDiscovery}). */
    private static boolean rolesFromServers(MySQLProxySpec spec) {
        return spec.routing != null && "read-only-flag".equals(spec.routing.backendRoleDiscovery);
    }

    /** The listener's bound on logins in progress: the pod's default unless the resource sets one. */
    private static LoginAdmission logins(MySQLProxySpec.Listener l) {
        LoginAdmission auto = LoginAdmission.auto();
        return new LoginAdmission(l.maxLogins == null ? auto.maxLogins() : l.maxLogins,
                l.loginQueueTimeoutMillis == null ? auto.queueTimeoutMillis() : l.loginQueueTimeoutMillis);
    }

    /** A resource as a listener, and why its script could not be read (or null). */
    record Translation(ListenerConfig config, SpecException scriptProblem) {
        boolean wantsScript() {
            return config.script() != null || scriptProblem != null;
        }
    }


    /** The resource's multiplexing, or null for the proxy's own setting. */
    private static MultiplexingConfig multiplexing(MySQLProxySpec spec) {
        MySQLProxySpec.Multiplexing m = spec.multiplexing;
        if (m == null) {
            return null;
        }
        return new MultiplexingConfig(m.enabled == null || m.enabled,
                m.excludeUsers == null ? Set.of() : Set.copyOf(m.excludeUsers),
                m.maxConnections == null ? 200 : m.maxConnections,
                m.waitTimeoutMillis == null ? 10_000 : m.waitTimeoutMillis);
    }

    private static SelectionPolicy policy(MySQLProxySpec spec) {
        try {
            return spec.listener.policy == null ? SelectionPolicy.FIRST_AVAILABLE
                    : SelectionPolicy.parse(spec.listener.policy);
        } catch (IllegalArgumentException e) {
            throw new SpecException(READY, "InvalidSpec", "spec.listener.policy: " + e.getMessage());
        }
    }

    private List<BackendConfig> backends(String ns, MySQLProxySpec spec) {
        List<BackendConfig> out = new ArrayList<>();
        for (MySQLProxySpec.Backend b : spec.backends == null ? List.<MySQLProxySpec.Backend>of() : spec.backends) {
            BackendRole role = rolesFromServers(spec) ? BackendRole.AUTO : "readOnly".equals(b.role)
                    ? BackendRole.READ_ONLY : "auto".equals(b.role) ? BackendRole.AUTO : BackendRole.READ_WRITE;
            if (role == BackendRole.AUTO && !loggedInHealthCheck(spec)) {
                throw new SpecException(BACKENDS_AVAILABLE, "InvalidBackend", "backend " + b.address
                        + ": role auto is read from the server's read_only by a logged-in health check; set"
                        + " spec.healthCheck.credentialsSecretRef");
            }
            try {
                out.add(new BackendConfig(HostPort.parse(b.address, "127.0.0.1", BackendConfig.DEFAULT_PORT), role,
                        b.weight == null ? 1 : b.weight));
            } catch (IllegalArgumentException e) {
                throw new SpecException(BACKENDS_AVAILABLE, "InvalidBackend", "backend " + b.address + ": "
                        + e.getMessage());
            }
        }
        if (spec.backendDiscovery != null) {
            for (BackendConfig found : discoverer.discover(ns, spec.backendDiscovery)) {
                out.add(rolesFromServers(spec) ? new BackendConfig(found.address(), BackendRole.AUTO, found.weight())
                        : found);
            }
        }
        if (rolesFromServers(spec) && !loggedInHealthCheck(spec)) {
            throw new SpecException(BACKENDS_AVAILABLE, "InvalidBackend", "spec.routing.backendRoleDiscovery"
                    + " read-only-flag reads each server's read_only with a logged-in health check; set"
                    + " spec.healthCheck.credentialsSecretRef");
        }
        return out;
    }

    private ScriptConfig script(String ns, MySQLProxySpec spec) {
        if (spec.script == null || spec.script.configMapRef == null) {
            return null;
        }
        LuaSource main = source(ns, spec.script.configMapRef);
        MySQLProxySpec.Scripting s = spec.scripting;
        ScriptingOptions options = new ScriptingOptions(s == null || s.threads == null ? 0 : s.threads,
                s == null || s.sandbox == null || s.sandbox, ScriptingOptions.DEFAULTS.maxInstructions(),
                ScriptingOptions.DEFAULTS.maxMillis(), false)
                .withAllowedEnv(s == null || s.allowedEnv == null ? Set.of() : Set.copyOf(s.allowedEnv));
        return ScriptConfig.inline(main.name(), main.source(), main.modules(), options)
                .withCanary(canary(ns, spec.script.canary));
    }

    private CanaryConfig canary(String ns, MySQLProxySpec.Canary c) {
        if (c == null || c.configMapRef == null) {
            return null;
        }
        LuaSource source = source(ns, c.configMapRef);
        return CanaryConfig.inline(source.name(), source.source(), source.modules(),
                c.weight == null ? 10 : c.weight, c.maxErrorRate == null ? 0.01 : c.maxErrorRate,
                c.minQueries == null ? 100 : c.minQueries, promoteAfterMillis(c.promote));
    }

    /** {@code manual} (or none): 0; {@code after N} with s, m or h: that many milliseconds. */
    static long promoteAfterMillis(String promote) {
        if (promote == null || promote.equals("manual")) {
            return 0;
        }
        Matcher m = PROMOTE_AFTER.matcher(promote);
        if (!m.matches()) {
            throw new SpecException(SCRIPT_LOADED, "InvalidCanary", "spec.script.canary.promote must be manual or"
                    + " 'after N' with s, m or h, not '" + promote + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> n * 1000;
            case "m" -> n * 60_000;
            default -> n * 3_600_000;
        };
    }

    /** A script's source and modules as a ConfigMap holds them, named namespace/configmap/key. */
    private record LuaSource(String name, String source, Map<String, String> modules) {
    }

    private LuaSource source(String ns, MySQLProxySpec.ConfigMapKeyRef ref) {
        String name = ref.name;
        String key = ref.key == null ? "main.lua" : ref.key;
        ConfigMap cm = client.configMaps().inNamespace(ns).withName(name).get();
        if (cm == null) {
            throw new SpecException(SCRIPT_LOADED, "ConfigMapNotFound", "ConfigMap " + ns + "/" + name
                    + " does not exist");
        }
        Map<String, String> data = cm.getData() == null ? Map.of() : cm.getData();
        String source = data.get(key);
        if (source == null) {
            throw new SpecException(SCRIPT_LOADED, "KeyNotFound", "ConfigMap " + ns + "/" + name + " has no key "
                    + key + " (keys: " + new TreeMap<>(data).keySet() + ")");
        }
        Map<String, String> modules = new TreeMap<>();
        data.forEach((k, v) -> {
            if (!k.equals(key) && k.endsWith(".lua")) {
                modules.put(k, v);
            }
        });
        return new LuaSource(ns + "/" + name + "/" + key, source, modules);
    }

    private HealthCheck healthCheck(String ns, MySQLProxySpec spec) {
        MySQLProxySpec.HealthCheck h = spec.healthCheck;
        if (h == null) {
            return null;
        }
        String user = null;
        String password = null;
        if (h.credentialsSecretRef != null) {
            Map<String, String> creds = secret(ns, h.credentialsSecretRef.name, BACKENDS_AVAILABLE);
            user = creds.get("username");
            password = creds.getOrDefault("password", "");
            if (user == null) {
                throw new SpecException(BACKENDS_AVAILABLE, "InvalidSecret", "Secret " + ns + "/"
                        + h.credentialsSecretRef.name + " has no key username");
            }
        }
        return new HealthCheck(h.intervalMillis == null ? 1000 : h.intervalMillis,
                h.timeoutMillis == null ? 1000 : h.timeoutMillis, h.failuresToDown == null ? 2 : h.failuresToDown,
                h.successesToUp == null ? 1 : h.successesToUp, user, password, "SELECT 1");
    }

    /** The resource's own admin interface, with credentials from its Secret; null when it asks for none. */
    private AdminConfig admin(MySQLProxy r) {
        MySQLProxySpec.Admin a = r.getSpec().admin;
        if (a == null || a.port == null) {
            return null;
        }
        String ns = r.getMetadata().getNamespace();
        if (a.credentialsSecretRef == null) {
            throw new SpecException(READY, "InvalidSpec", "spec.admin.credentialsSecretRef is required");
        }
        Map<String, String> creds = secret(ns, a.credentialsSecretRef.name, READY);
        if (!creds.containsKey("username") || !creds.containsKey("password")) {
            throw new SpecException(READY, "InvalidSecret", "Secret " + ns + "/" + a.credentialsSecretRef.name
                    + " needs keys username and password");
        }
        return new AdminConfig(new HostPort("0.0.0.0", a.port), creds.get("username"), creds.get("password"), null,
                5, Map.of("listener", listenerName(r), "port", String.valueOf(r.getSpec().listener.port)));
    }

    /** Client TLS from a kubernetes.io/tls Secret, written where the TLS context reads PEM files. */
    private ClientTls tls(MySQLProxy r) {
        MySQLProxySpec.ListenerTls t = r.getSpec().listener.tls;
        if (t == null || "disabled".equals(t.mode)) {
            return ClientTls.DISABLED;
        }
        String ns = r.getMetadata().getNamespace();
        if (t.secretName == null) {
            throw new SpecException(READY, "InvalidSpec", "spec.listener.tls.secretName is required unless mode is disabled");
        }
        Map<String, String> pem = secret(ns, t.secretName, READY);
        if (!pem.containsKey("tls.crt") || !pem.containsKey("tls.key")) {
            throw new SpecException(READY, "InvalidSecret", "Secret " + ns + "/" + t.secretName
                    + " needs keys tls.crt and tls.key");
        }
        try {
            // one directory per content, so that a renewed certificate is a new configuration the listener applies
            String version = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest((pem.get("tls.crt") + pem.get("tls.key")).getBytes(StandardCharsets.UTF_8)), 0, 8);
            Path dir = Files.createDirectories(tlsDir.resolve(ns).resolve(r.getMetadata().getName()).resolve(version));
            Path cert = dir.resolve("tls.crt");
            Path key = dir.resolve("tls.key");
            Files.writeString(cert, pem.get("tls.crt"));
            if (!Files.exists(key)) {
                Files.createFile(key, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(key, pem.get("tls.key"));
            return new ClientTls(ClientTlsMode.parse(t.mode == null ? "optional" : t.mode), cert, key);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Map<String, String> secret(String ns, String name, String condition) {
        Secret s = client.secrets().inNamespace(ns).withName(name).get();
        if (s == null) {
            throw new SpecException(condition, "SecretNotFound", "Secret " + ns + "/" + name + " does not exist");
        }
        Map<String, String> out = new TreeMap<>();
        if (s.getData() != null) {
            s.getData().forEach((k, v) -> out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        }
        if (s.getStringData() != null) {
            out.putAll(s.getStringData());
        }
        return out;
    }
}
