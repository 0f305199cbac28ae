package io.mysqlproxy.config;

import io.mysqlproxy.backend.BackendRole;
import io.mysqlproxy.backend.SelectionPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    private static ProxyConfig load(Map<String, String> props, String... args) {
        return loader(props, args).load();
    }

    private static ConfigLoader loader(Map<String, String> props, String... args) {
        return new ConfigLoader(ConfigLoader.parseCommandLine(args), k -> Optional.ofNullable(props.get(k)),
                props.keySet());
    }

    @Test
    void aCanaryScriptComesWithItsCriteriaAndNeedsAStableScript(@TempDir Path dir) throws Exception {
        Path stable = Files.writeString(dir.resolve("stable.lua"), "");
        Path canary = Files.writeString(dir.resolve("canary.lua"), "");
        ScriptConfig script = load(Map.of(), "-s", stable.toString(), "--proxy-lua-canary-script=" + canary,
                "--proxy-lua-canary-weight=25", "--proxy-lua-canary-max-error-rate=0.02",
                "--proxy-lua-canary-min-queries=50", "--proxy-lua-canary-promote-after=1.5").script();
        assertThat(script.canary()).isEqualTo(CanaryConfig.file(canary, 25, 0.02, 50, 1_500));
        assertThat(load(Map.of(), "-s", stable.toString()).script().canary()).isNull();
        assertThatThrownBy(() -> load(Map.of(), "--proxy-lua-canary-script=" + canary))
                .hasMessageContaining("--proxy-lua-canary-script needs --proxy-lua-script");
        assertThatThrownBy(() -> load(Map.of(), "-s", stable.toString(), "--proxy-lua-canary-script=" + canary,
                "--proxy-lua-canary-weight=101")).hasMessageContaining("a whole number from 0 to 100");
        assertThatThrownBy(() -> load(Map.of(), "-s", stable.toString(), "--proxy-lua-canary-script=" + canary,
                "--proxy-lua-canary-max-error-rate=2")).hasMessageContaining("a number from 0 to 1");
    }

    @Test
    void defaultsAreMySqlProxys() {
        ProxyConfig c = load(Map.of());
        ListenerConfig l = c.listeners().get(0);
        assertThat(l.address()).isEqualTo(new HostPort("0.0.0.0", 4040));
        assertThat(l.backends()).hasSize(1);
        assertThat(l.backends().get(0).address()).isEqualTo(new HostPort("127.0.0.1", 3306));
        assertThat(l.policy()).isEqualTo(SelectionPolicy.FIRST_AVAILABLE);
        assertThat(c.limits().connectTimeoutMillis()).isEqualTo(2000);
        assertThat(c.limits().readTimeoutMillis()).isEqualTo(28_800_000);
    }

    @Test
    void longShortAndRepeatedOptions() {
        ProxyConfig c = load(Map.of(), "--proxy-address=127.0.0.1:5000", "-b", "db1:3307@3", "--proxy-backend-addresses",
                "db2", "-rdb3:3308,[::1]:3309", "--proxy-connect-timeout=0.5", "--proxy-backend-policy=least-connections");
        ListenerConfig l = c.listeners().get(0);
        assertThat(l.address()).isEqualTo(new HostPort("127.0.0.1", 5000));
        assertThat(l.backends()).extracting(b -> b.address().toString() + "/" + b.role() + "/" + b.weight())
                .containsExactly("db1:3307/READ_WRITE/3", "db2:3306/READ_WRITE/1", "db3:3308/READ_ONLY/1",
                        "[::1]:3309/READ_ONLY/1");
        assertThat(l.policy()).isEqualTo(SelectionPolicy.LEAST_CONNECTIONS);
        assertThat(c.limits().connectTimeoutMillis()).isEqualTo(500);
    }

    @Test
    void loginsInProgressAreBoundedPerListener() {
        assertThat(load(Map.of()).listeners().get(0).logins()).isEqualTo(LoginAdmission.auto());
        ProxyConfig c = load(Map.of("mysqlproxy.listeners.reports.address", ":4050",
                "mysqlproxy.listeners.reports.backend-addresses", "db9",
                "mysqlproxy.listeners.reports.max-logins", "3"), "--proxy-max-logins=5",
                "--proxy-login-queue-timeout=0.25");
        assertThat(c.listeners().get(0).logins()).isEqualTo(new LoginAdmission(5, 250));
        assertThat(c.listeners().get(1).logins()).isEqualTo(new LoginAdmission(3, 250));
        assertThatThrownBy(() -> load(Map.of(), "--proxy-max-logins=0")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("--proxy-max-logins");
        assertThatThrownBy(() -> load(Map.of("mysqlproxy.listeners.reports.address", ":4050",
                "mysqlproxy.listeners.reports.backend-addresses", "db9",
                "mysqlproxy.listeners.reports.login-queue-timeout", "-1"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("mysqlproxy.listeners.reports.").hasMessageContaining("must not be negative");
    }

    @Test
    void backendsWhoseRoleFollowsTheirServerReplaceTheDefaultAndNeedALoggedInHealthCheck() {
        ProxyConfig c = load(Map.of(), "--proxy-auto-backend-addresses=db1:3306,db2:3306",
                "--proxy-auto-backend-addresses=db3:3306@2", "--health-check-user=monitor");
        assertThat(c.listeners().get(0).backends()).extracting(b -> b.address() + "/" + b.role() + "/" + b.weight())
                .containsExactly("db1:3306/AUTO/1", "db2:3306/AUTO/1", "db3:3306/AUTO/2");
        assertThat(load(Map.of(), "-b", "db0", "--proxy-auto-backend-addresses=db1", "--health-check-user=monitor")
                .listeners().get(0).backends()).extracting(b -> b.address() + "/" + b.role())
                .containsExactly("db0:3306/READ_WRITE", "db1:3306/AUTO");
        assertThat(load(Map.of("mysqlproxy.listeners.reports.address", ":4050",
                "mysqlproxy.listeners.reports.auto-backend-addresses", "db4,db5"), "--health-check-user=monitor")
                .listeners().get(1).backends()).extracting(b -> b.address() + "/" + b.role())
                .containsExactly("db4:3306/AUTO", "db5:3306/AUTO");

        assertThatThrownBy(() -> load(Map.of(), "--proxy-auto-backend-addresses=db1,db2"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--proxy-auto-backend-addresses")
                .hasMessageContaining("--health-check-user");
    }

    @Test
    void readWriteSplittingAndRoleDiscoveryPerProxyAndPerListener() {
        assertThat(load(Map.of()).listeners().get(0).routing()).isEqualTo(RoutingConfig.NONE);
        ProxyConfig c = load(Map.of("mysqlproxy.listeners.reports.address", ":4050",
                        "mysqlproxy.listeners.reports.backend-addresses", "db4",
                        "mysqlproxy.listeners.reports.routing", "none",
                        "mysqlproxy.listeners.reports.backend-role-discovery", "static"),
                "--routing=read-write-split", "--max-replication-lag=3", "--backend-role-discovery=read-only-flag",
                "-b", "db1", "-r", "db2", "--health-check-user=monitor");
        ListenerConfig main = c.listeners().get(0);
        assertThat(main.routing()).isEqualTo(new RoutingConfig(RoutingConfig.Mode.READ_WRITE_SPLIT, 3));
        assertThat(main.backends()).extracting(b -> b.address() + "/" + b.role())
                .containsExactly("db1:3306/AUTO", "db2:3306/AUTO");
        ListenerConfig reports = c.listeners().get(1);
        assertThat(reports.routing().splits()).isFalse();
        assertThat(reports.routing().maxReplicationLagSeconds()).isEqualTo(3);
        assertThat(reports.backends()).extracting(b -> b.address() + "/" + b.role()).containsExactly("db4:3306/READ_WRITE");

        assertThatThrownBy(() -> load(Map.of(), "--routing=read-write-split", "--max-replication-lag=3"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--max-replication-lag")
                .hasMessageContaining("--health-check-user");
        assertThatThrownBy(() -> load(Map.of(), "--backend-role-discovery=read-only-flag"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--health-check-user");
        assertThatThrownBy(() -> load(Map.of(), "--routing=split-please"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--routing")
                .hasMessageContaining("read-write-split");
        assertThatThrownBy(() -> load(Map.of("mysqlproxy.listeners.reports.address", ":4050",
                "mysqlproxy.listeners.reports.backend-addresses", "db4",
                "mysqlproxy.listeners.reports.routing", "sideways")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mysqlproxy.listeners.reports.")
                .hasMessageContaining("sideways");
        assertThatThrownBy(() -> load(Map.of(), "--max-replication-lag=-2"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--max-replication-lag");
    }

    @Test
    void transactionReplayPerProxyAndPerListener() {
        assertThat(load(Map.of()).listeners().get(0).routing().transactionReplay())
                .isEqualTo(RoutingConfig.TransactionReplay.OFF);
        ProxyConfig c = load(Map.of("mysqlproxy.listeners.reports.address", ":4050",
                        "mysqlproxy.listeners.reports.backend-addresses", "db4",
                        "mysqlproxy.listeners.reports.transaction-replay", "false"),
                "--routing=read-write-split", "--transaction-replay=true", "--transaction-replay-max-bytes=4096",
                "--transaction-replay-timeout=2.5", "-b", "db1");
        assertThat(c.listeners().get(0).routing().transactionReplay())
                .isEqualTo(new RoutingConfig.TransactionReplay(true, 4096, 2_500));
        assertThat(c.listeners().get(1).routing().transactionReplay().enabled()).isFalse();
        assertThatThrownBy(() -> load(Map.of(), "--transaction-replay=maybe"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--transaction-replay");
        assertThatThrownBy(() -> load(Map.of(), "--transaction-replay-max-bytes=-1"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--transaction-replay-max-bytes");
    }

    @Test
    void causalReadsPerProxyAndPerListener() {
        assertThat(load(Map.of()).listeners().get(0).routing().causalReads()).isEqualTo(RoutingConfig.CausalReads.NONE);
        ProxyConfig c = load(Map.of("mysqlproxy.listeners.reports.address", ":4050",
                        "mysqlproxy.listeners.reports.backend-addresses", "db4",
                        "mysqlproxy.listeners.reports.routing", "read-write-split",
                        "mysqlproxy.listeners.reports.causal-reads", "global",
                        "mysqlproxy.listeners.reports.causal-reads-timeout", "0.5"),
                "--routing=read-write-split", "--causal-reads=local", "--causal-reads-timeout=3", "-b", "db1",
                "-r", "db2");
        assertThat(c.listeners().get(0).routing()).isEqualTo(new RoutingConfig(RoutingConfig.Mode.READ_WRITE_SPLIT,
                -1, RoutingConfig.CausalReads.LOCAL, 3_000));
        assertThat(c.listeners().get(1).routing()).isEqualTo(new RoutingConfig(RoutingConfig.Mode.READ_WRITE_SPLIT,
                -1, RoutingConfig.CausalReads.GLOBAL, 500));
        assertThatThrownBy(() -> load(Map.of(), "--causal-reads=eventually"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--causal-reads")
                .hasMessageContaining("local");
        assertThatThrownBy(() -> load(Map.of(), "--causal-reads-timeout=-1"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--causal-reads-timeout");
        assertThatThrownBy(() -> load(Map.of("mysqlproxy.listeners.reports.address", ":4050",
                "mysqlproxy.listeners.reports.backend-addresses", "db4",
                "mysqlproxy.listeners.reports.causal-reads", "sometimes")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mysqlproxy.listeners.reports.")
                .hasMessageContaining("sometimes");
    }

    @Test
    void adminAndMonitoringOptions(@TempDir Path tmp) throws IOException {
        Path adminScript = Files.writeString(tmp.resolve("admin.lua"), "");
        ProxyConfig defaults = load(Map.of());
        assertThat(defaults.admin().address()).isEqualTo(new HostPort("127.0.0.1", 4041));
        assertThat(defaults.admin().username()).isEqualTo("admin");
        assertThat(defaults.admin().password()).isEmpty();
        assertThat(defaults.admin().script()).isNull();
        assertThat(defaults.monitoring()).isEqualTo(MonitoringConfig.DEFAULTS);
        ProxyConfig c = load(Map.of("mysqlproxy.admin-password", "pw"), "--admin-address=:5041",
                "--admin-lua-script=" + adminScript, "--admin-max-failed-logins=9", "--query-digests=false",
                "--query-digests-max=10", "--query-digest-text-length=100", "--slow-query-log=0.25",
                "--readiness-requires-backend=false");
        assertThat(c.admin().address()).isEqualTo(new HostPort("127.0.0.1", 5041));
        assertThat(c.admin().password()).isEqualTo("pw");
        assertThat(c.admin().script()).isEqualTo(adminScript);
        assertThat(c.admin().maxFailedLogins()).isEqualTo(9);
        assertThat(c.admin().settings()).containsEntry("admin-password", "********")
                .containsEntry("slow-query-log", "0.25");
        assertThat(c.admin().toString()).doesNotContain("pw]");
        assertThat(c.monitoring()).isEqualTo(new MonitoringConfig(false, 10, 100, 250, false));
        assertThat(load(Map.of(), "--admin-address=").admin()).isNull();
        assertThat(loader(Map.of(), "--log-format=json").jsonLogs()).isTrue();
        assertThatThrownBy(() -> load(Map.of(), "--log-format=xml")).hasMessageContaining(
                "invalid value 'xml' for --log-format: expected one of text, json");
        assertThatThrownBy(() -> load(Map.of(), "--query-digests-max=0")).hasMessageContaining("--query-digests-max");
    }

    @Test
    void unknownAndInvalidOptionsNameTheOption() {
        assertThatThrownBy(() -> load(Map.of(), "--proxy-adress=:1")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown option --proxy-adress=:1");
        assertThatThrownBy(() -> load(Map.of(), "--proxy-max-connections=lots")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("--proxy-max-connections").hasMessageContaining("lots");
        assertThatThrownBy(() -> load(Map.of(), "--proxy-address=:99999")).hasMessageContaining("--proxy-address");
        assertThatThrownBy(() -> load(Map.of(), "--proxy-backend-policy=random")).hasMessageContaining("random");
        assertThatThrownBy(() -> load(Map.of(), "--proxy-ssl-mode=required")).hasMessageContaining("--proxy-ssl-cert");
        assertThatThrownBy(() -> load(Map.of("mysqlproxy.proxy-adress", "x"))).hasMessageContaining("mysqlproxy.proxy-adress");
        assertThatThrownBy(() -> load(Map.of(), "stray")).hasMessageContaining("stray");
        assertThatThrownBy(() -> load(Map.of(), "--proxy-address")).hasMessageContaining("needs a value");
    }

    @Test
    void commandLineWinsOverDefaultsFileWhichWinsOverProperties(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("proxy.cnf");
        Files.writeString(file, """
                # comment
                [client]
                user = ignored
                [mysql-proxy]
                proxy-address = :5001
                proxy-backend-addresses = 10.0.0.1:3306,10.0.0.2:3306
                proxy-idle-timeout = 60
                """);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw----"));
        ProxyConfig c = load(Map.of("mysqlproxy.proxy-idle-timeout", "5", "mysqlproxy.proxy-read-timeout", "7",
                        "mysqlproxy.proxy-address", ":5002"), "--defaults-file=" + file, "--proxy-address=:5003");
        assertThat(c.listeners().get(0).address().port()).isEqualTo(5003);
        assertThat(c.listeners().get(0).backends()).hasSize(2);
        assertThat(c.limits().idleTimeoutMillis()).isEqualTo(60_000);
        assertThat(c.limits().readTimeoutMillis()).isEqualTo(7_000);
    }

    @Test
    void defaultsFileMustNotBeOpenToOthersNorHoldUnknownKeys(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("proxy.cnf");
        Files.writeString(file, "[mysql-proxy]\nproxy-address = :5001\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> load(Map.of(), "--defaults-file", file.toString()))
                .hasMessageContaining("aren't secure");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(file, "[mysql-proxy]\nproxy-adress = :5001\n");
        assertThatThrownBy(() -> load(Map.of(), "--defaults-file", file.toString()))
                .hasMessageContaining(":2: unknown option 'proxy-adress'");
    }

    @Test
    void extraListenersFromProperties() {
        ProxyConfig c = load(Map.of("mysqlproxy.listeners.reports.address", "127.0.0.1:4050",
                "mysqlproxy.listeners.reports.backend-addresses", "10.0.0.9:3306",
                "mysqlproxy.listeners.reports.read-only-backend-addresses", "10.0.0.10:3306"));
        assertThat(c.listeners()).extracting(ListenerConfig::name).containsExactly("default", "reports");
        ListenerConfig reports = c.listeners().get(1);
        assertThat(reports.address().port()).isEqualTo(4050);
        assertThat(reports.backends()).extracting(b -> b.role()).containsExactly(BackendRole.READ_WRITE,
                BackendRole.READ_ONLY);
        assertThatThrownBy(() -> load(Map.of("mysqlproxy.listeners.x.adress", "1"))).hasMessageContaining(
                "mysqlproxy.listeners.x.adress");
        assertThat(reports.multiplexing()).as("the proxy's setting").isNull();
    }

    @Test
    void multiplexingIsSetForTheProxyAndPerListener() {
        ProxyConfig c = load(Map.of("mysqlproxy.listeners.reports.address", "127.0.0.1:4050",
                "mysqlproxy.listeners.reports.backend-addresses", "10.0.0.9:3306",
                "mysqlproxy.listeners.reports.multiplexing", "false"), "--multiplexing=true",
                "--multiplexing-exclude-users=etl, admin", "--multiplexing-max-connections=50",
                "--multiplexing-wait-timeout=2.5");
        MultiplexingConfig proxy = c.pool().multiplexing();
        assertThat(proxy.enabled()).isTrue();
        assertThat(proxy.appliesTo("app")).isTrue();
        assertThat(proxy.appliesTo("etl")).isFalse();
        assertThat(proxy.maxConnections()).isEqualTo(50);
        assertThat(proxy.waitTimeoutMillis()).isEqualTo(2_500);
        assertThat(c.listeners().get(1).multiplexing().enabled()).isFalse();
        assertThat(c.listeners().get(1).multiplexing().excludedUsers()).containsExactlyInAnyOrder("etl", "admin");
    }

    @Test
    void everyValueIsCheckedWhetherOrNotItsFeatureIsInUse() {
        // no script, no admin interface, TLS off: the values are wrong all the same
        for (String bad : new String[] {"--lua-time-budget=abc", "--lua-sandbox=maybe", "--admin-max-failed-logins=x",
                "--lua-hook-error=ignore", "--proxy-ssl-cert=/nonexistent/cert.pem", "--lua-memory-budget=-1",
                "--proxy-lua-script=/nonexistent/main.lua", "--health-check-interval=soon", "--max-open-files=many"}) {
            assertThatThrownBy(() -> load(Map.of(), "--admin-address=", bad)).as(bad)
                    .isInstanceOf(ConfigException.class).hasMessageContaining("invalid value")
                    .hasMessageContaining(bad.substring(0, bad.indexOf('=')));
        }
        assertThatThrownBy(() -> load(Map.of("mysqlproxy.lua-sandbox", "maybe")))
                .hasMessageContaining("invalid value 'maybe' for --lua-sandbox: expected true or false");
    }

    @Test
    void everyOptionWorksAsAnEnvironmentVariable() {
        // SmallRye reports MYSQLPROXY_PROXY_ADDRESS as mysqlproxy.proxy.address; its value is read by the option's name
        Map<String, String> env = Map.of("mysqlproxy.proxy.address", "127.0.0.1:5005",
                "mysqlproxy.proxy.backend.addresses", "db9:3306", "mysqlproxy.lua.memory.budget", "64",
                "mysqlproxy.listeners.reports.address", "127.0.0.1:5006",
                "mysqlproxy.listeners.reports.backend.addresses", "db10:3306",
                "mysqlproxy.listeners.my.reports.max.connections", "7",
                "mysqlproxy.listeners.my.reports.address", ":5007",
                "mysqlproxy.listeners.my.reports.backend.addresses", "db11:3306");
        Map<String, String> byOptionName = Map.of("mysqlproxy.proxy-address", "127.0.0.1:5005",
                "mysqlproxy.proxy-backend-addresses", "db9:3306", "mysqlproxy.lua-memory-budget", "64");
        ConfigLoader loader = new ConfigLoader(ConfigLoader.parseCommandLine(new String[0]),
                k -> Optional.ofNullable(byOptionName.getOrDefault(k, env.get(k))), env.keySet());
        ProxyConfig c = loader.load();
        assertThat(c.listeners()).extracting(ListenerConfig::name).containsExactly("default", "my-reports", "reports");
        assertThat(c.listeners().get(0).address()).isEqualTo(new HostPort("127.0.0.1", 5005));
        assertThat(c.listeners().get(0).backends().get(0).address().host()).isEqualTo("db9");
        assertThat(c.listeners().get(1).maxConnections()).isEqualTo(7);
        assertThat(c.listeners().get(2).backends().get(0).address().host()).isEqualTo("db10");
        assertThatThrownBy(() -> load(Map.of("mysqlproxy.proxy.adress", "x")))
                .hasMessageContaining("unknown configuration property mysqlproxy.proxy.adress");
    }

    @Test
    void mysqlProxysCommandLinesRunWithAWarningForWhatHasNoMeaningHere(@TempDir Path tmp) throws IOException {
        Path script = Files.writeString(tmp.resolve("main.lua"), "");
        ConfigLoader loader = loader(Map.of(), "--daemon", "--keepalive", "--plugins=proxy", "--log-level=debug",
                "--proxy-lua-script=" + script, "--lua-path=/usr/share/mysql-proxy/?.lua;" + tmp + "/?.lua",
                "--lua-cpath=/usr/lib/mysql-proxy/?.so", "--pid-file=" + tmp.resolve("pid"), "--lua-env=TZ, HOME",
                "--proxy-pool-no-change-user");
        ProxyConfig c = loader.load();
        assertThat(c.script().options().luaPath()).containsExactly("/usr/share/mysql-proxy/?.lua", tmp + "/?.lua");
        assertThat(c.script().options().allowedEnv()).containsExactlyInAnyOrder("TZ", "HOME");
        assertThat(loader.warnings()).hasSize(5).anySatisfy(w -> assertThat(w).startsWith("--daemon is MySQL Proxy's"))
                .anySatisfy(w -> assertThat(w).contains("--plugins")).anySatisfy(w -> assertThat(w).contains("C modules"));
        assertThatThrownBy(() -> load(Map.of(), "--log-level=loud")).hasMessageContaining("--log-level");
    }

    @Test
    void theDefaultClientLimitFitsTheDescriptorLimit() {
        long limit = Limits.descriptorLimit();
        assertThat(load(Map.of()).listeners().get(0).maxConnections())
                .isEqualTo((int) Math.min(Integer.MAX_VALUE, (limit - 256) / 2));
        assertThat(load(Map.of(), "--proxy-max-connections=12").listeners().get(0).maxConnections()).isEqualTo(12);
    }

    @Test
    void eventThreadsDefaultToTheCores() {
        assertThat(loader(Map.of()).eventThreads()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(loader(Map.of(), "--event-threads=3").eventThreads()).isEqualTo(3);
        assertThat(List.of(Option.values())).allMatch(o -> !o.description().isEmpty());
    }
}
