package io.mysqlproxy.config;

import io.mysqlproxy.backend.BackendConfig;
import io.mysqlproxy.backend.BackendRole;
import io.mysqlproxy.backend.SelectionPolicy;
import io.mysqlproxy.scripting.ScriptingOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Builds the {@link ProxyConfig} snapshot from the three sources of options. For every option the command line
 * wins over the defaults file, which wins over Quarkus configuration (application.properties, environment), which
 * wins over the built-in default. Extra listeners come from Quarkus properties
 * {@code mysqlproxy.listeners.<name>.<key>}.
 */
public final class ConfigLoader {
    public static final String PREFIX = "mysqlproxy.";
    private static final String LISTENERS = PREFIX + "listeners.";
    private static final Set<String> LISTENER_KEYS = Set.of("address", "backend-addresses",
            "read-only-backend-addresses", "auto-backend-addresses", "backend-policy", "max-connections",
            "multiplexing", "max-logins", "login-queue-timeout", "routing", "backend-role-discovery",
            "max-replication-lag", "causal-reads", "causal-reads-timeout", "transaction-replay",
            "transaction-replay-max-bytes", "transaction-replay-timeout");

    private final Map<Option, String> commandLine;
    private final Map<Option, String> defaultsFile;
    private final Function<String, Optional<String>> properties;
    private final Iterable<String> propertyNames;

    public ConfigLoader(Map<Option, String> commandLine, Function<String, Optional<String>> properties,
                        Iterable<String> propertyNames) {
        this.commandLine = commandLine;
        this.properties = properties;
        List<String> names = new ArrayList<>();
        propertyNames.forEach(names::add); // SmallRye's view of the names can be walked only once
        this.propertyNames = names;
        String file = commandLine.get(Option.DEFAULTS_FILE);
        this.defaultsFile = file == null || file.isEmpty() ? Map.of() : readDefaultsFile(Path.of(file));
    }

    /** Parses {@code --name=value}, {@code --name value}, {@code -X value} and {@code -Xvalue}. */
    public static Map<Option, String> parseCommandLine(String[] args) {
        Map<Option, String> out = new EnumMap<>(Option.class);
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            Option option;
            String value = null;
            if (arg.startsWith("--")) {
                String body = arg.substring(2);
                int eq = body.indexOf('=');
                option = Option.byKey(eq < 0 ? body : body.substring(0, eq));
                value = eq < 0 ? null : body.substring(eq + 1);
            } else if (arg.startsWith("-") && arg.length() >= 2) {
                option = Option.byShortName(arg.substring(1, 2));
                value = arg.length() > 2 ? arg.substring(2) : null;
            } else {
                throw new ConfigException("unknown option: " + arg + " (use --help to show all options)");
            }
            if (option == null) {
                throw new ConfigException("unknown option " + arg + " (use --help to show all options)");
            }
            if (value == null && option.flag()) {
                value = "true"; // MySQL Proxy's flags take no value
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new ConfigException("option --" + option.key() + " needs a value");
                }
                value = args[++i];
            }
            out.merge(option, value, (a, b) -> option.repeatable() ? a + "," + b : b);
        }
        return out;
    }

    static Map<Option, String> readDefaultsFile(Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                throw new ConfigException("--defaults-file " + file + " is not a regular file");
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.OTHERS_WRITE)
                    || perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new ConfigException("permissions of " + file + " aren't secure (0660 or stricter required)");
            }
            Map<Option, String> out = new EnumMap<>(Option.class);
            boolean inSection = false;
            int lineNo = 0;
            for (String raw : Files.readAllLines(file)) {
                lineNo++;
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                    continue;
                }
                if (line.startsWith("[")) {
                    inSection = line.equals("[mysql-proxy]");
                    continue;
                }
                if (!inSection) {
                    continue;
                }
                int eq = line.indexOf('=');
                String key = (eq < 0 ? line : line.substring(0, eq)).strip();
                Option option = Option.byKey(key);
                if (option == null || option == Option.DEFAULTS_FILE) {
                    throw new ConfigException(file + ":" + lineNo + ": unknown option '" + key + "'");
                }
                if (eq < 0 && !option.flag()) {
                    throw new ConfigException(file + ":" + lineNo + ": option '" + key + "' has no value");
                }
                out.put(option, eq < 0 ? "true" : line.substring(eq + 1).strip());
            }
            return out;
        } catch (IOException e) {
            throw new ConfigException("cannot read --defaults-file " + file + ": " + e.getMessage());
        }
    }

    /** The read-write backends: the default one only when no backend of role auto is given instead. */
    private String readWriteBackends() {
        if (!given(Option.PROXY_BACKEND_ADDRESSES) && !value(Option.PROXY_AUTO_BACKEND_ADDRESSES).isBlank()) {
            return "";
        }
        return value(Option.PROXY_BACKEND_ADDRESSES);
    }

    private boolean given(Option option) {
        return commandLine.containsKey(option) || defaultsFile.containsKey(option)
                || properties.apply(PREFIX + option.key()).isPresent();
    }

    public String value(Option option) {
        String v = commandLine.get(option);
        if (v == null) {
            v = defaultsFile.get(option);
        }
        if (v == null) {
            v = properties.apply(PREFIX + option.key()).orElse(null);
        }
        return v == null ? option.defaultValue() : v;
    }

    public ProxyConfig load() {
        checkPropertyNames();
        checkValues();
        ClientTls tls = parse(Option.PROXY_SSL_MODE, s -> {
            ClientTlsMode mode = ClientTlsMode.parse(s);
            return new ClientTls(mode, path(Option.PROXY_SSL_CERT), path(Option.PROXY_SSL_KEY));
        });
        List<ListenerConfig> listeners = new ArrayList<>();
        if (!value(Option.PROXY_ADDRESS).isBlank()) {
            listeners.add(new ListenerConfig("default",
                    parse(Option.PROXY_ADDRESS, s -> HostPort.parse(s, "0.0.0.0", 4040)),
                    backends(readWriteBackends(), value(Option.PROXY_READ_ONLY_BACKEND_ADDRESSES),
                            value(Option.PROXY_AUTO_BACKEND_ADDRESSES), value(Option.BACKEND_ROLE_DISCOVERY),
                            "--" + Option.PROXY_BACKEND_ADDRESSES.key()),
                    parse(Option.PROXY_BACKEND_POLICY, SelectionPolicy::parse),
                    maxConnections(value(Option.PROXY_MAX_CONNECTIONS)), tls)
                    .withLogins(logins(value(Option.PROXY_MAX_LOGINS), millis(Option.PROXY_LOGIN_QUEUE_TIMEOUT)))
                    .withRouting(parse(Option.ROUTING, r -> routing(r, value(Option.MAX_REPLICATION_LAG),
                            value(Option.CAUSAL_READS), value(Option.CAUSAL_READS_TIMEOUT),
                            value(Option.TRANSACTION_REPLAY), value(Option.TRANSACTION_REPLAY_MAX_BYTES),
                            value(Option.TRANSACTION_REPLAY_TIMEOUT)))));
        }
        MultiplexingConfig multiplexing = new MultiplexingConfig(parse(Option.MULTIPLEXING, ConfigLoader::bool),
                Arrays.stream(value(Option.MULTIPLEXING_EXCLUDE_USERS).split(",")).map(String::trim)
                        .filter(u -> !u.isEmpty()).collect(Collectors.toSet()),
                intValue(Option.MULTIPLEXING_MAX_CONNECTIONS, 1), millis(Option.MULTIPLEXING_WAIT_TIMEOUT));
        extraListeners(tls, multiplexing, listeners);
        Limits limits = new Limits(millis(Option.PROXY_CONNECT_TIMEOUT), millis(Option.PROXY_HANDSHAKE_TIMEOUT),
                millis(Option.PROXY_IDLE_TIMEOUT), millis(Option.PROXY_READ_TIMEOUT),
                millis(Option.PROXY_WRITE_TIMEOUT), parse(Option.PROXY_MAX_PACKET_SIZE, Long::parseLong),
                millis(Option.SHUTDOWN_TIMEOUT));
        if (limits.maxPacketSize() < 1024) {
            throw new ConfigException("--" + Option.PROXY_MAX_PACKET_SIZE.key() + " must be at least 1024");
        }
        HealthCheck health = new HealthCheck(millis(Option.HEALTH_CHECK_INTERVAL), millis(Option.HEALTH_CHECK_TIMEOUT),
                intValue(Option.HEALTH_CHECK_FAILURES_TO_DOWN, 1), intValue(Option.HEALTH_CHECK_SUCCESSES_TO_UP, 1),
                value(Option.HEALTH_CHECK_USER), value(Option.HEALTH_CHECK_PASSWORD),
                value(Option.HEALTH_CHECK_QUERY));
        if (health.intervalMillis() < 10 || health.timeoutMillis() < 10) {
            throw new ConfigException("health-check interval and timeout must be at least 0.01 s");
        }
        if (!health.logsIn() && listeners.stream().anyMatch(ListenerConfig::hasAutoBackends)) {
            throw new ConfigException("backends with role auto (--" + Option.PROXY_AUTO_BACKEND_ADDRESSES.key()
                    + ", .auto-backend-addresses) get their role from their server's read_only (also with --"
                    + Option.BACKEND_ROLE_DISCOVERY.key() + "=read-only-flag), which only a logged-in"
                    + " health check reads: set --" + Option.HEALTH_CHECK_USER.key());
        }
        if (!health.logsIn() && listeners.stream().anyMatch(l -> l.routing().maxReplicationLagSeconds() >= 0)) {
            throw new ConfigException("--" + Option.MAX_REPLICATION_LAG.key() + " compares the lag a logged-in health"
                    + " check measures: set --" + Option.HEALTH_CHECK_USER.key());
        }
        BackendTls backendTls = new BackendTls(parse(Option.BACKEND_SSL_MODE, BackendTlsMode::parse),
                parse(Option.BACKEND_SSL_VERIFY, ConfigLoader::bool), path(Option.BACKEND_SSL_CA));
        PoolConfig pool = new PoolConfig(intValue(Option.PROXY_POOL_MAX_IDLE, 0), intValue(Option.PROXY_POOL_MIN_IDLE, 0),
                millis(Option.PROXY_POOL_IDLE_TIMEOUT), millis(Option.PROXY_POOL_MAX_AGE),
                millis(Option.PROXY_POOL_PING_AFTER), multiplexing);
        MonitoringConfig monitoring = new MonitoringConfig(parse(Option.QUERY_DIGESTS, ConfigLoader::bool),
                intValue(Option.QUERY_DIGESTS_MAX, 1), intValue(Option.QUERY_DIGEST_TEXT_LENGTH, 16),
                millis(Option.SLOW_QUERY_LOG), parse(Option.READINESS_REQUIRES_BACKEND, ConfigLoader::bool));
        logFormat();
        return new ProxyConfig(listeners, limits, health, backendTls, pool, script(), admin(), monitoring);
    }

    private AdminConfig admin() {
        String address = value(Option.ADMIN_ADDRESS);
        if (address.isBlank()) {
            return null;
        }
        return new AdminConfig(parse(Option.ADMIN_ADDRESS, s -> HostPort.parse(s, "127.0.0.1", 4041)),
                value(Option.ADMIN_USERNAME), value(Option.ADMIN_PASSWORD), path(Option.ADMIN_LUA_SCRIPT),
                intValue(Option.ADMIN_MAX_FAILED_LOGINS, 1), effective());
    }

    /** Whether to run the operator: asked for, or auto and inside a cluster (as its service account shows). */
    public boolean kubernetes(Function<String, String> env) {
        String v = value(Option.KUBERNETES);
        if (v.equals("auto")) {
            return env.apply("KUBERNETES_SERVICE_HOST") != null;
        }
        try {
            return bool(v);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--" + Option.KUBERNETES.key() + " must be true, false or auto, not " + v);
        }
    }

    /** True when console log lines are to be JSON objects. */
    public boolean jsonLogs() {
        return logFormat().equals("json");
    }

    private String logFormat() {
        String v = value(Option.LOG_FORMAT);
        if (!v.equals("text") && !v.equals("json")) {
            throw new ConfigException("--" + Option.LOG_FORMAT.key() + " must be text or json, not " + v);
        }
        return v;
    }

    /** Every option's value as the proxy runs with it, passwords hidden, for the admin table config. */
    public Map<String, String> effective() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Option o : Option.values()) {
            String v = value(o);
            out.put(o.key(), o.key().endsWith("password") && !v.isEmpty() ? "********" : v);
        }
        return out;
    }

    private ScriptConfig script() {
        Path path = path(Option.PROXY_LUA_SCRIPT);
        if (path == null) {
            if (path(Option.PROXY_LUA_CANARY_SCRIPT) != null) {
                throw new ConfigException("--" + Option.PROXY_LUA_CANARY_SCRIPT.key() + " needs --"
                        + Option.PROXY_LUA_SCRIPT.key() + ": a canary is tried beside a stable script");
            }
            return null;
        }
        String onError = value(Option.LUA_HOOK_ERROR);
        if (!onError.equals("error") && !onError.equals("forward")) {
            throw new ConfigException("--" + Option.LUA_HOOK_ERROR.key() + " must be error or forward, not " + onError);
        }
        return new ScriptConfig(path, new ScriptingOptions(
                intValue(Option.LUA_THREADS, 0), parse(Option.LUA_SANDBOX, ConfigLoader::bool),
                parse(Option.LUA_INSTRUCTION_BUDGET, Long::parseLong), millis(Option.LUA_TIME_BUDGET),
                onError.equals("forward"), (long) intValue(Option.LUA_MEMORY_BUDGET, 0) << 20,
                list(value(Option.LUA_PATH), ";"), Set.copyOf(list(value(Option.LUA_ENV), ","))))
                .withCanary(canary());
    }

    private CanaryConfig canary() {
        Path path = path(Option.PROXY_LUA_CANARY_SCRIPT);
        return path == null ? null : CanaryConfig.file(path, intValue(Option.PROXY_LUA_CANARY_WEIGHT, 0),
                parse(Option.PROXY_LUA_CANARY_MAX_ERROR_RATE, Double::parseDouble),
                intValue(Option.PROXY_LUA_CANARY_MIN_QUERIES, 1), millis(Option.PROXY_LUA_CANARY_PROMOTE_AFTER));
    }

    private static List<String> list(String value, String separator) {
        return Arrays.stream(value.split(Pattern.quote(separator))).map(String::trim)
                .filter(v -> !v.isEmpty()).toList();
    }

    /** Event-loop threads to ask Vert.x for. */
    public int eventThreads() {
        int n = intValue(Option.EVENT_THREADS, 0);
        return n == 0 ? Runtime.getRuntime().availableProcessors() : n;
    }

    /** Every option's value, whether or not its feature is in use: a typo stops start-up at once. */
    private void checkValues() {
        for (Option o : Option.values()) {
            String v = value(o);
            String problem = o.kind().check(v);
            if (problem != null) {
                throw new ConfigException("invalid value '" + v + "' for --" + o.key() + ": " + problem);
            }
        }
    }

    /** What the options ask for that the proxy does not do, one sentence each, to log at start. */
    public List<String> warnings() {
        List<String> out = new ArrayList<>();
        for (Option o : Option.values()) {
            if (o.ignoredBecause() != null && !value(o).isEmpty()) {
                out.add("--" + o.key() + " is MySQL Proxy's and ignored here: " + o.ignoredBecause());
            }
        }
        if (!value(Option.LUA_CPATH).isEmpty()) {
            out.add("--lua-cpath is ignored: C modules cannot load in mysqlproxy (Lua runs on the JVM)");
        }
        return out;
    }

    private void checkPropertyNames() {
        for (String name : propertyNames) {
            if (name.startsWith(PREFIX) && propertyKey(name) == null) {
                throw new ConfigException("unknown configuration property " + name);
            }
        }
    }

    /**
     * The option key ({@code proxy-address}) or listener key ({@code listeners.NAME.backend-addresses}) a property
     * name stands for, or null. A name from an environment variable ({@code MYSQLPROXY_PROXY_ADDRESS}) comes as
     * {@code mysqlproxy.proxy.address}: it is matched by its environment-variable form, so every option works as an
     * environment variable. A listener's name from one is the variable's part, lower case, with '-' for '_'.
     */
    static String propertyKey(String name) {
        String rest = name.substring(PREFIX.length());
        Option exact = Option.byKey(rest);
        if (exact != null) {
            return exact == Option.DEFAULTS_FILE ? null : exact.key();
        }
        if (name.startsWith(LISTENERS)) {
            String[] parts = name.substring(LISTENERS.length()).split("\\.", 2);
            if (parts.length == 2 && LISTENER_KEYS.contains(parts[1])) {
                return "listeners." + parts[0] + "." + parts[1];
            }
        }
        String env = envForm(rest);
        for (Option o : Option.values()) {
            if (o != Option.DEFAULTS_FILE && envForm(o.key()).equals(env)) {
                return o.key();
            }
        }
        String listeners = envForm("listeners.");
        if (env.startsWith(listeners)) {
            for (String key : LISTENER_KEYS) {
                String suffix = "_" + envForm(key);
                if (env.endsWith(suffix) && env.length() > listeners.length() + suffix.length()) {
                    String listener = env.substring(listeners.length(), env.length() - suffix.length());
                    return "listeners." + listener.toLowerCase(Locale.ROOT).replace('_', '-') + "." + key;
                }
            }
        }
        return null;
    }

    /** A name as an environment variable spells it: upper case, '_' for every other character. */
    private static String envForm(String name) {
        return name.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    private void extraListeners(ClientTls tls, MultiplexingConfig multiplexing, List<ListenerConfig> out) {
        Map<String, Map<String, String>> byName = new TreeMap<>();
        for (String name : propertyNames) {
            String key = name.startsWith(PREFIX) ? propertyKey(name) : null;
            if (key != null && key.startsWith("listeners.")) {
                String[] parts = key.substring("listeners.".length()).split("\\.", 2);
                byName.computeIfAbsent(parts[0], k -> new TreeMap<>())
                        .put(parts[1], properties.apply(name).orElse(""));
            }
        }
        byName.forEach((name, keys) -> {
            String where = LISTENERS + name + ".";
            String address = keys.get("address");
            if (address == null) {
                throw new ConfigException(where + "address is missing");
            }
            try {
                out.add(new ListenerConfig(name, HostPort.parse(address, "0.0.0.0", 4040),
                        backends(keys.getOrDefault("backend-addresses", ""),
                                keys.getOrDefault("read-only-backend-addresses", ""),
                                keys.getOrDefault("auto-backend-addresses", ""),
                                keys.getOrDefault("backend-role-discovery", value(Option.BACKEND_ROLE_DISCOVERY)),
                                where + "backend-addresses"),
                        SelectionPolicy.parse(keys.getOrDefault("backend-policy", "first-available")),
                        maxConnections(keys.getOrDefault("max-connections", "auto")), tls)
                        .withMultiplexing(keys.containsKey("multiplexing")
                                ? multiplexing.withEnabled(bool(keys.get("multiplexing"))) : null)
                        .withLogins(logins(keys.getOrDefault("max-logins", value(Option.PROXY_MAX_LOGINS)),
                                keys.containsKey("login-queue-timeout")
                                        ? secondsToMillis(keys.get("login-queue-timeout"))
                                        : millis(Option.PROXY_LOGIN_QUEUE_TIMEOUT)))
                        .withRouting(routing(keys.getOrDefault("routing", value(Option.ROUTING)),
                                keys.getOrDefault("max-replication-lag", value(Option.MAX_REPLICATION_LAG)),
                                keys.getOrDefault("causal-reads", value(Option.CAUSAL_READS)),
                                keys.getOrDefault("causal-reads-timeout", value(Option.CAUSAL_READS_TIMEOUT)),
                                keys.getOrDefault("transaction-replay", value(Option.TRANSACTION_REPLAY)),
                                keys.getOrDefault("transaction-replay-max-bytes",
                                        value(Option.TRANSACTION_REPLAY_MAX_BYTES)),
                                keys.getOrDefault("transaction-replay-timeout",
                                        value(Option.TRANSACTION_REPLAY_TIMEOUT)))));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(where + ": " + e.getMessage());
            }
        });
    }

    private static void addBackends(List<BackendConfig> out, String list, BackendRole role) {
        for (String s : list.split(",")) {
            if (!s.isBlank()) {
                out.add(BackendConfig.parse(s, role));
            }
        }
    }

    /** A listener's client limit: a number, or {@code auto} for what the descriptor limit allows one listener. */
    static int maxConnections(String value) {
        if (value.trim().equals("auto")) {
            return Limits.maxConnectionsForDescriptors(Limits.descriptorLimit());
        }
        int n = Integer.parseInt(value.trim());
        if (n < 1) {
            throw new IllegalArgumentException("must be at least 1, not " + n);
        }
        return n;
    }

    /** A listener's routing from its mode, lag limit (empty: none), causal reads and transaction replay. */
    static RoutingConfig routing(String mode, String maxLag, String causalReads, String causalTimeout,
                                 String replay, String replayMaxBytes, String replayTimeout) {
        long lag = maxLag.isBlank() ? -1 : Long.parseLong(maxLag.trim());
        if (lag < -1) {
            throw new IllegalArgumentException("max replication lag must not be negative");
        }
        return new RoutingConfig(RoutingConfig.Mode.parse(mode), lag, RoutingConfig.CausalReads.parse(causalReads),
                secondsToMillis(causalTimeout), new RoutingConfig.TransactionReplay(bool(replay),
                        Long.parseLong(replayMaxBytes.trim()), secondsToMillis(replayTimeout)));
    }

    /**
     * The backends of a listener; with role discovery {@code read-only-flag}, the read-write and read-only ones take
     * their role from their server's read_only as the auto ones do.
     */
    private static List<BackendConfig> backends(String rw, String ro, String auto, String discovery, String what) {
        List<BackendConfig> out = new ArrayList<>();
        boolean fromServers = switch (discovery.trim()) {
            case "static" -> false;
            case "read-only-flag" -> true;
            default -> throw new ConfigException(what.replace("backend-addresses", "backend-role-discovery")
                    + ": '" + discovery + "' is not a role discovery (static, read-only-flag)");
        };
        try {
            addBackends(out, rw, fromServers ? BackendRole.AUTO : BackendRole.READ_WRITE);
            addBackends(out, ro, fromServers ? BackendRole.AUTO : BackendRole.READ_ONLY);
            addBackends(out, auto, BackendRole.AUTO);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(what + ": " + e.getMessage());
        }
        if (out.isEmpty()) {
            throw new ConfigException(what + ": no backend given");
        }
        return out;
    }

    private <T> T parse(Option option, Function<String, T> parser) {
        String v = value(option);
        try {
            return parser.apply(v);
        } catch (ConfigException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ConfigException("invalid value '" + v + "' for --" + option.key() + ": " + e.getMessage());
        }
    }

    private int intValue(Option option, int min) {
        int v = parse(option, Integer::parseInt);
        if (v < min) {
            throw new ConfigException("--" + option.key() + " must be at least " + min + ", not " + v);
        }
        return v;
    }

    /** A listener's bound on logins in progress: a number, or {@code auto} for the descriptor limit's default. */
    private static LoginAdmission logins(String max, long queueTimeoutMillis) {
        int n = max.trim().equals("auto") ? LoginAdmission.auto().maxLogins() : Integer.parseInt(max.trim());
        return new LoginAdmission(n, queueTimeoutMillis);
    }

    private static long secondsToMillis(String value) {
        double seconds = Double.parseDouble(value.trim());
        if (seconds < 0 || Double.isNaN(seconds)) {
            throw new IllegalArgumentException("must not be negative: " + value);
        }
        return Math.round(seconds * 1000);
    }

    private long millis(Option option) {
        double seconds = parse(option, Double::parseDouble);
        if (seconds < 0 || Double.isNaN(seconds)) {
            throw new ConfigException("--" + option.key() + " must not be negative");
        }
        return Math.round(seconds * 1000);
    }

    private Path path(Option option) {
        String v = value(option);
        return v.isEmpty() ? null : Path.of(v);
    }

    private static boolean bool(String s) {
        return switch (s.trim().toLowerCase()) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new IllegalArgumentException("not a boolean");
        };
    }
}
