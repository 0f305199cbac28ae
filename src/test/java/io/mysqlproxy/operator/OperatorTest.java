package io.mysqlproxy.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.mysqlproxy.config.LoginAdmission;
import io.mysqlproxy.config.RoutingConfig;
import io.mysqlproxy.health.RunningProxy;
import io.mysqlproxy.testing.MariaDbServer;
import io.mysqlproxy.testing.TestCertificates;
import io.mysqlproxy.testing.TestProxy;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The operator against the fabric8 test server (CRUD mode) with real MariaDB behind: resources and ConfigMaps
 * become listeners and scripts of the running proxy, and the status says what runs.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class OperatorTest {
    static final String NS = "test";
    static MariaDbServer db1;
    static MariaDbServer db2;
    static TestProxy proxy;

    @Inject
    KubernetesClient client;

    @Inject
    RunningProxy running;

    @Inject
    Operator operator;

    @BeforeAll
    static void startServers() {
        db1 = MariaDbServer.start();
        db2 = MariaDbServer.start();
        for (MariaDbServer db : List.of(db1, db2)) {
            db.execute("CREATE USER 'app'@'%' IDENTIFIED BY 'apppw'", "GRANT ALL ON *.* TO 'app'@'%'");
        }
    }

    @AfterAll
    static void stopServers() {
        if (proxy != null) {
            proxy.close();
        }
        db1.close();
        db2.close();
    }

    @BeforeEach
    void startOperator() {
        if (proxy == null) {
            // this test JVM plays a proxy pod of a Helm release: its host name is the pod's name
            client.pods().inNamespace(client.getNamespace()).resource(new PodBuilder()
                    .withNewMetadata().withName(hostName()).addToLabels("app.kubernetes.io/name", "mysqlproxy")
                    .addToLabels("app.kubernetes.io/instance", "db").endMetadata().build()).create();
            proxy = TestProxy.builder().withoutListeners().start();
            running.set(proxy.server());
            operator.start();
        }
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<String> eventReasons(String name) {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName())).map(Event::getReason)
                .toList();
    }

    static String script(String answer) {
        return """
                local helpers = require("helpers")
                function read_query(packet)
                  if packet:sub(2) == "SELECT 'who'" then
                    return helpers.answer("%s")
                  end
                end
                """.formatted(answer);
    }

    static final String HELPERS = """
            local M = {}
            function M.answer(text)
              proxy.response = { type = proxy.MYSQLD_PACKET_OK,
                resultset = { fields = { { name = "who" } }, rows = { { text } } } }
              return proxy.PROXY_SEND_RESULT
            end
            return M
            """;

    private ConfigMap configMap(String name, String main) {
        return new ConfigMapBuilder().withMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build())
                .withData(Map.of("main.lua", main, "helpers.lua", HELPERS)).build();
    }

    private MySQLProxy resource(String name, int port, String configMap, String... backends) {
        MySQLProxy r = new MySQLProxy();
        r.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        MySQLProxySpec spec = new MySQLProxySpec();
        spec.listener = new MySQLProxySpec.Listener();
        spec.listener.port = port;
        for (String address : backends) {
            MySQLProxySpec.Backend b = new MySQLProxySpec.Backend();
            b.address = address;
            spec.backends.add(b);
        }
        if (configMap != null) {
            spec.script = new MySQLProxySpec.Script();
            spec.script.configMapRef = new MySQLProxySpec.ConfigMapKeyRef();
            spec.script.configMapRef.name = configMap;
        }
        spec.healthCheck = new MySQLProxySpec.HealthCheck();
        spec.healthCheck.intervalMillis = 200;
        r.setSpec(spec);
        return r;
    }

    private MySQLProxy get(String name) {
        return client.resources(MySQLProxy.class).inNamespace(NS).withName(name).get();
    }

    private Condition condition(String name, String type) {
        MySQLProxy r = get(name);
        if (r == null || r.getStatus() == null) {
            return null;
        }
        return r.getStatus().conditions.stream().filter(c -> c.getType().equals(type)).findFirst().orElse(null);
    }

    private static Connection connect(int port) throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/", "app", "apppw");
    }

    private static String value(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * spec.script.canary: a second ConfigMap's script runs on its share of new connections; a change of the
     * resource's canary (here its weight) is a new canary, and the script itself keeps running.
     */
    @Test
    void aCanaryFromAConfigMapRunsOnItsShareOfNewConnections() throws Exception {
        int port = MariaDbServer.freePort();
        client.configMaps().inNamespace(NS).resource(configMap("stable-routing", script("stable"))).create();
        client.configMaps().inNamespace(NS).resource(configMap("next-routing", script("canary"))).create();
        MySQLProxy r = resource("tried", port, "stable-routing", db1.address());
        r.getSpec().script.canary = new MySQLProxySpec.Canary();
        r.getSpec().script.canary.configMapRef = new MySQLProxySpec.ConfigMapKeyRef();
        r.getSpec().script.canary.configMapRef.name = "next-routing";
        r.getSpec().script.canary.weight = 100;
        r.getSpec().script.canary.promote = "manual";
        client.resources(MySQLProxy.class).inNamespace(NS).resource(r).create();
        await().atMost(Duration.ofSeconds(15)).until(() -> MariaDbServer.listening(port));
        try (Connection c = connect(port); Statement s = c.createStatement()) {
            assertThat(value(s, "SELECT 'who'")).isEqualTo("canary");
        }
        canaryWeight("tried", 0);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            try (Connection c = connect(port); Statement s = c.createStatement()) {
                assertThat(value(s, "SELECT 'who'")).isEqualTo("stable");
            }
        });
        // the canary's ConfigMap changes: a new canary, tried again on its share (now all) of new connections
        canaryWeight("tried", 100);
        client.configMaps().inNamespace(NS).resource(configMap("next-routing", script("canary 2"))).update();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            try (Connection c = connect(port); Statement s = c.createStatement()) {
                assertThat(value(s, "SELECT 'who'")).isEqualTo("canary 2");
            }
        });
        assertThat(ListenerTranslator.promoteAfterMillis("after 10m")).isEqualTo(600_000);
        assertThat(ListenerTranslator.promoteAfterMillis("manual")).isZero();
    }

    /** Sets a resource's canary weight; the operator writes its status meanwhile, so the edit is a patch. */
    private void canaryWeight(String name, int weight) {
        client.resources(MySQLProxy.class).inNamespace(NS).withName(name).edit(r -> {
            r.getSpec().script.canary.weight = weight;
            return r;
        });
    }

    /** A canary that fails is rolled back: the status, its condition, an Event and the printer column say so. */
    @Test
    void aCanaryThatFailsIsRolledBackAndTheStatusSaysWhy() throws Exception {
        int port = MariaDbServer.freePort();
        client.configMaps().inNamespace(NS).resource(configMap("calm-routing", script("calm"))).create();
        client.configMaps().inNamespace(NS).resource(configMap("buggy-routing", """
                function read_query(packet)
                  if packet:find("boom") then error("the canary cannot read this") end
                end
                """)).create();
        MySQLProxy r = resource("buggy", port, "calm-routing", db1.address());
        r.getSpec().script.canary = new MySQLProxySpec.Canary();
        r.getSpec().script.canary.configMapRef = new MySQLProxySpec.ConfigMapKeyRef();
        r.getSpec().script.canary.configMapRef.name = "buggy-routing";
        r.getSpec().script.canary.weight = 100;
        r.getSpec().script.canary.minQueries = 3L;
        r.getSpec().script.canary.maxErrorRate = 0.01;
        client.resources(MySQLProxy.class).inNamespace(NS).resource(r).create();
        await().atMost(Duration.ofSeconds(15)).until(() -> MariaDbServer.listening(port));
        await().atMost(Duration.ofSeconds(15)).until(() -> condition("buggy", "CanaryHealthy") != null
                && "Running".equals(condition("buggy", "CanaryHealthy").getReason()));
        try (Connection c = connect(port); Statement s = c.createStatement()) {
            for (int i = 0; i < 3; i++) {
                assertThat(value(s, "SELECT 1")).isEqualTo("1");
            }
            assertThatThrownBy(() -> value(s, "SELECT 'boom'")).hasMessageContaining("the canary cannot read this");
            // rolled back: the same connection runs the script from its next command
            await().atMost(Duration.ofSeconds(5)).ignoreExceptions().untilAsserted(
                    () -> assertThat(value(s, "SELECT 'boom'")).isEqualTo("boom"));
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Condition healthy = condition("buggy", "CanaryHealthy");
            assertThat(healthy.getStatus()).isEqualTo("False");
            assertThat(healthy.getReason()).isEqualTo("RolledBack");
            assertThat(healthy.getMessage()).contains("hook errors").contains("against the stable script");
            assertThat(get("buggy").getStatus().canary.state).isEqualTo("rolled back");
            assertThat(eventReasons("buggy")).contains("CanaryStarted", "CanaryRolledBack");
        });
    }

    @Test
    void resourceAndConfigMapBecomeAListenerWhoseScriptFollowsTheConfigMap() throws Exception {
        int port = MariaDbServer.freePort();
        client.configMaps().inNamespace(NS).resource(configMap("routing", script("v1"))).create();
        client.resources(MySQLProxy.class).inNamespace(NS).resource(resource("app", port, "routing", db1.address()))
                .create();
        await().atMost(Duration.ofSeconds(15)).until(() -> MariaDbServer.listening(port));
        try (Connection c = connect(port); Statement s = c.createStatement()) {
            assertThat(value(s, "SELECT 'who'")).isEqualTo("v1");
            assertThat(value(s, "SELECT @@port")).isEqualTo(String.valueOf(db1.port()));
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                MySQLProxy r = get("app");
                assertThat(r.getStatus()).isNotNull();
                assertThat(r.getStatus().observedGeneration).isEqualTo(r.getMetadata().getGeneration());
                assertThat(r.getStatus().scriptChecksum).startsWith("sha256:");
                assertThat(r.getStatus().backendsSummary).isEqualTo("1/1");
                assertThat(condition("app", "Ready").getStatus()).isEqualTo("True");
                assertThat(condition("app", "ScriptLoaded").getStatus()).isEqualTo("True");
                assertThat(condition("app", "BackendsAvailable").getStatus()).isEqualTo("True");
            });
            String firstChecksum = get("app").getStatus().scriptChecksum;

            // the leader writes the Service (owned by the resource), the replica count and an Event
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                Service svc = client.services().inNamespace(NS).withName("app").get();
                assertThat(svc).isNotNull();
                assertThat(svc.getSpec().getPorts().get(0).getPort()).isEqualTo(port);
                assertThat(svc.getSpec().getSelector()).containsEntry("app.kubernetes.io/name", "mysqlproxy")
                        .containsEntry("app.kubernetes.io/instance", "db");
                assertThat(svc.getMetadata().getOwnerReferences().get(0).getUid())
                        .isEqualTo(get("app").getMetadata().getUid());
                assertThat(get("app").getStatus().replicas.desired).isEqualTo(1);
                assertThat(get("app").getStatus().replicas.applied).isEqualTo(1);
                assertThat(get("app").getMetadata().getAnnotations())
                        .containsEntry("applied.mysqlproxy.io/" + hostName(), "1");
                assertThat(eventReasons("app")).contains("ScriptLoaded");
            });

            // a ConfigMap edit reaches the same open connection's next query
            client.configMaps().inNamespace(NS).resource(configMap("routing", script("v2"))).update();
            await().atMost(Duration.ofSeconds(5)).until(() -> value(s, "SELECT 'who'").equals("v2"));
            await().atMost(Duration.ofSeconds(15)).until(() -> !firstChecksum.equals(get("app").getStatus().scriptChecksum));

            // a script that does not compile is refused: the old one keeps answering, the condition says why
            client.configMaps().inNamespace(NS).resource(configMap("routing", "function read_query(p) return end end"))
                    .update();
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                Condition loaded = condition("app", "ScriptLoaded");
                assertThat(loaded.getStatus()).isEqualTo("False");
                assertThat(loaded.getReason()).isEqualTo("ScriptRejected");
                assertThat(loaded.getMessage()).contains("test/routing/main.lua").contains(":1:")
                        .contains("the running script");
            });
            assertThat(value(s, "SELECT 'who'")).isEqualTo("v2");
            assertThat(condition("app", "Ready").getStatus()).isEqualTo("False");
            assertThat(eventReasons("app")).contains("ScriptSwapped", "ScriptRejected");
        }
    }

    @Test
    void backendsAreAddedAndRemovedLiveAndDeletionClosesTheListener() throws Exception {
        int port = MariaDbServer.freePort();
        client.resources(MySQLProxy.class).inNamespace(NS).resource(resource("plain", port, null, db1.address()))
                .create();
        await().atMost(Duration.ofSeconds(15)).until(() -> MariaDbServer.listening(port));
        try (Connection c = connect(port); Statement s = c.createStatement()) {
            assertThat(value(s, "SELECT @@port")).isEqualTo(String.valueOf(db1.port()));
            await().atMost(Duration.ofSeconds(15)).until(() -> get("plain").getStatus() != null
                    && "NoScript".equals(condition("plain", "ScriptLoaded").getReason()));

            // the second backend first, then the first one removed: new sessions go to db2, the open one goes on
            MySQLProxy r = get("plain");
            MySQLProxySpec.Backend second = new MySQLProxySpec.Backend();
            second.address = db2.address();
            r.getSpec().backends.add(0, second);
            client.resources(MySQLProxy.class).inNamespace(NS).resource(r).update();
            await().atMost(Duration.ofSeconds(15)).until(() -> "2/2".equals(get("plain").getStatus().backendsSummary));
            r = get("plain");
            r.getSpec().backends.remove(1);
            client.resources(MySQLProxy.class).inNamespace(NS).resource(r).update();
            await().atMost(Duration.ofSeconds(15)).until(() -> "1/1".equals(get("plain").getStatus().backendsSummary));
            assertThat(get("plain").getStatus().backends).extracting(b -> b.address).containsExactly(db2.address());
            try (Connection c2 = connect(port); Statement s2 = c2.createStatement()) {
                assertThat(value(s2, "SELECT @@port")).isEqualTo(String.valueOf(db2.port()));
            }
            assertThat(value(s, "SELECT @@port")).isEqualTo(String.valueOf(db1.port()));
        }
        assertThat(client.services().inNamespace(NS).withName("plain").get()).isNotNull();
        client.resources(MySQLProxy.class).inNamespace(NS).withName("plain").delete();
        await().atMost(Duration.ofSeconds(15)).until(() -> !MariaDbServer.listening(port));
        await().atMost(Duration.ofSeconds(5)).until(() -> client.services().inNamespace(NS).withName("plain").get() == null);
    }

    @Test
    void tlsFromASecretAndAnAdminInterfaceThatSeesOnlyItsListener(@TempDir Path dir)
            throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        client.secrets().inNamespace(NS).resource(new SecretBuilder()
                .withNewMetadata().withName("proxy-tls").endMetadata().withType("kubernetes.io/tls")
                .addToStringData("tls.crt", Files.readString(certs.cert))
                .addToStringData("tls.key", Files.readString(certs.key)).build()).create();
        client.secrets().inNamespace(NS).resource(new SecretBuilder()
                .withNewMetadata().withName("proxy-admin").endMetadata()
                .addToStringData("username", "ops").addToStringData("password", "opspw").build()).create();
        int port = MariaDbServer.freePort();
        int adminPort = MariaDbServer.freePort();
        MySQLProxy r = resource("secure", port, null, db1.address());
        r.getSpec().listener.tls = new MySQLProxySpec.ListenerTls();
        r.getSpec().listener.tls.secretName = "proxy-tls";
        r.getSpec().listener.tls.mode = "required";
        r.getSpec().admin = new MySQLProxySpec.Admin();
        r.getSpec().admin.port = adminPort;
        r.getSpec().admin.credentialsSecretRef = new MySQLProxySpec.SecretRef();
        r.getSpec().admin.credentialsSecretRef.name = "proxy-admin";
        client.resources(MySQLProxy.class).inNamespace(NS).resource(r).create();
        await().atMost(Duration.ofSeconds(15)).until(() -> MariaDbServer.listening(port) && MariaDbServer.listening(adminPort));
        String tls = "jdbc:mariadb://127.0.0.1:" + port + "/?sslMode=verify-full&serverSslCert=" + certs.caCert;
        try (Connection c = DriverManager.getConnection(tls, "app", "apppw"); Statement s = c.createStatement()) {
            assertThat(value(s, "SELECT 1")).isEqualTo("1"); // verify-full: the proxy presented the Secret's certificate
        }
        Assertions.assertThatThrownBy(() -> DriverManager.getConnection(
                "jdbc:mariadb://127.0.0.1:" + port + "/?sslMode=disable", "app", "apppw"))
                .hasMessageContaining("insecure transport");
        // a renewed certificate (here from another CA) reaches new clients without a new socket
        TestCertificates renewed = TestCertificates.create(
                Files.createDirectories(dir.resolve("renewed")));
        client.secrets().inNamespace(NS).withName("proxy-tls").edit(s -> new SecretBuilder(s)
                .withData(null).withStringData(Map.of("tls.crt", read(renewed.cert), "tls.key", read(renewed.key))).build());
        String renewedUrl = "jdbc:mariadb://127.0.0.1:" + port + "/?sslMode=verify-full&serverSslCert=" + renewed.caCert;
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().until(() -> {
            try (Connection c = DriverManager.getConnection(renewedUrl, "app", "apppw")) {
                return c.isValid(2);
            }
        });
        try (Connection a = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + adminPort + "/", "ops", "opspw");
             Statement s = a.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM listeners")) {
            List<String> names = new ArrayList<>();
            while (rs.next()) {
                names.add(rs.getString("name"));
            }
            assertThat(names).containsExactly("test/secure"); // not the listeners of other resources
        }
        client.resources(MySQLProxy.class).inNamespace(NS).withName("secure").delete();
        await().atMost(Duration.ofSeconds(15)).until(() -> !MariaDbServer.listening(port) && !MariaDbServer.listening(adminPort));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Endpoint endpoint(String pod) {
        return new EndpointBuilder().withAddresses("127.0.0.1")
                .withNewConditions().withReady(true).endConditions()
                .withNewTargetRef().withKind("Pod").withName(pod).withNamespace(NS).endTargetRef().build();
    }

    private void slice(String name, int port, String pod) {
        client.discovery().v1().endpointSlices().inNamespace(NS).resource(
                new EndpointSliceBuilder().withNewMetadata().withName(name)
                        .addToLabels("kubernetes.io/service-name", "mysql").endMetadata().withAddressType("IPv4")
                        .addNewPort().withName("mysql").withPort(port).endPort()
                        .withEndpoints(endpoint(pod)).build()).create();
    }

    private void pod(String name, String role) {
        client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata()
                .withName(name).addToLabels("mysql.role", role).endMetadata().build()).create();
    }

    @Test
    void aResourceTurnsMultiplexingOnAndOffForItsListener() throws Exception {
        int port = MariaDbServer.freePort();
        MySQLProxy r = resource("shared", port, null, db1.address());
        r.getSpec().multiplexing = new MySQLProxySpec.Multiplexing();
        r.getSpec().multiplexing.maxConnections = 5;
        client.resources(MySQLProxy.class).inNamespace(NS).resource(r).create();
        await().atMost(Duration.ofSeconds(15)).until(() -> MariaDbServer.listening(port));
        List<Connection> clients = new ArrayList<>();
        try {
            Set<String> threads = new HashSet<>();
            for (int i = 0; i < 6; i++) {
                Connection c = connect(port);
                clients.add(c);
                // the proxy's own thread id: the backend thread is shared
                assertThat(c.unwrap(org.mariadb.jdbc.Connection.class).getThreadId()).isGreaterThanOrEqualTo(1L << 30);
            }
            for (Connection c : clients) {
                try (Statement s = c.createStatement()) {
                    threads.add(value(s, "SELECT @@pseudo_thread_id"));
                }
            }
            assertThat(threads).hasSizeLessThan(6);

            r = get("shared");
            r.getSpec().multiplexing.enabled = false;
            client.resources(MySQLProxy.class).inNamespace(NS).resource(r).update();
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                try (Connection c = connect(port)) {
                    assertThat(c.unwrap(org.mariadb.jdbc.Connection.class).getThreadId()).isLessThan(1L << 30);
                }
            });
        } finally {
            for (Connection c : clients) {
                c.close();
            }
            client.resources(MySQLProxy.class).inNamespace(NS).withName("shared").delete();
        }
    }

    @Test
    void backendsDiscoveredFromEndpointSlicesWithRolesFromPodLabels() throws Exception {
        pod("mysql-0", "primary");
        pod("mysql-1", "replica");
        slice("mysql-a", db1.port(), "mysql-0");
        int port = MariaDbServer.freePort();
        MySQLProxy r = resource("found", port, null);
        r.getSpec().backendDiscovery = new MySQLProxySpec.BackendDiscovery();
        r.getSpec().backendDiscovery.service = "mysql";
        r.getSpec().backendDiscovery.port = "mysql";
        r.getSpec().backendDiscovery.roleLabel = "mysql.role";
        client.resources(MySQLProxy.class).inNamespace(NS).resource(r).create();
        await().atMost(Duration.ofSeconds(15)).until(() -> MariaDbServer.listening(port));
        try (Connection c = connect(port); Statement s = c.createStatement()) {
            assertThat(value(s, "SELECT @@port")).isEqualTo(String.valueOf(db1.port()));
        }
        // a new endpoint appears: it is added with the role of its pod's label
        slice("mysql-b", db2.port(), "mysql-1");
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(get("found").getStatus().backends)
                .extracting(b -> b.address + " " + b.role).containsExactlyInAnyOrder(
                        "127.0.0.1:" + db1.port() + " readWrite", "127.0.0.1:" + db2.port() + " readOnly"));
        client.resources(MySQLProxy.class).inNamespace(NS).withName("found").delete();
    }

    @Test
    void backendsWithRoleAutoFollowTheWritableServerWithAConditionAndAnEvent() throws Exception {
        client.secrets().inNamespace(NS).resource(new SecretBuilder()
                .withNewMetadata().withName("monitor").endMetadata()
                .addToStringData("username", "app").addToStringData("password", "apppw").build()).create();
        int port = MariaDbServer.freePort();
        MySQLProxy r = resource("auto", port, null, db1.address(), db2.address());
        r.getSpec().backends.forEach(b -> b.role = "auto");
        r.getSpec().listener.maxLogins = 7;
        r.getSpec().listener.loginQueueTimeoutMillis = 250;
        r.getSpec().healthCheck.credentialsSecretRef = new MySQLProxySpec.SecretRef();
        r.getSpec().healthCheck.credentialsSecretRef.name = "monitor";
        db2.execute("SET GLOBAL read_only = 1");
        try {
            client.resources(MySQLProxy.class).inNamespace(NS).resource(r).create();
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                Condition writer = condition("auto", "SingleWriter");
                assertThat(writer).isNotNull();
                assertThat(writer.getStatus()).isEqualTo("True");
                assertThat(writer.getMessage()).contains(db1.address());
            });
            try (Connection c = connect(port); Statement s = c.createStatement()) {
                assertThat(value(s, "SELECT @@port")).isEqualTo(String.valueOf(db1.port()));
            }
            assertThat(proxy.server().status(NS + "/auto").orElseThrow().config().logins())
                    .isEqualTo(new LoginAdmission(7, 250));

            db1.execute("SET GLOBAL read_only = 1");
            db2.execute("SET GLOBAL read_only = 0");
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                assertThat(condition("auto", "SingleWriter").getMessage()).contains(db2.address());
                assertThat(get("auto").getStatus().backends).extracting(b -> b.address + "/" + b.role)
                        .containsExactly(db1.address() + "/readOnly", db2.address() + "/readWrite");
                assertThat(eventReasons("auto")).contains("PrimaryChanged");
            });
            try (Connection c = connect(port); Statement s = c.createStatement()) {
                assertThat(value(s, "SELECT @@port")).isEqualTo(String.valueOf(db2.port()));
            }

            db1.execute("SET GLOBAL read_only = 0"); // two writable servers
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                Condition writer = condition("auto", "SingleWriter");
                assertThat(writer.getStatus()).isEqualTo("False");
                assertThat(writer.getReason()).isEqualTo("PrimaryUnclear");
                assertThat(writer.getMessage()).contains("writes go to " + db2.address());
                assertThat(condition("auto", "Ready").getStatus()).isEqualTo("True");
            });
        } finally {
            db1.execute("SET GLOBAL read_only = 0");
            db2.execute("SET GLOBAL read_only = 0");
            client.resources(MySQLProxy.class).inNamespace(NS).withName("auto").delete();
        }
    }

    @Test
    void aResourceSplitsReadsFromWritesWithoutAScript() throws Exception {
        int port = MariaDbServer.freePort();
        MySQLProxy r = resource("split", port, null, db1.address(), db2.address());
        r.getSpec().backends.get(1).role = "readOnly";
        r.getSpec().routing = new MySQLProxySpec.Routing();
        r.getSpec().routing.mode = "read-write-split";
        r.getSpec().routing.causalReads = "local";
        r.getSpec().routing.causalReadsTimeoutSeconds = 2.5;
        r.getSpec().routing.transactionReplay = true;
        r.getSpec().routing.transactionReplayTimeoutSeconds = 5.0;
        client.resources(MySQLProxy.class).inNamespace(NS).resource(r).create();
        try {
            await().atMost(Duration.ofSeconds(15)).until(() -> MariaDbServer.listening(port));
            try (Connection c = connect(port); Statement s = c.createStatement()) {
                assertThat(value(s, "SELECT @@port")).isEqualTo(String.valueOf(db2.port()));
                assertThat(value(s, "SELECT @@port FOR UPDATE")).isEqualTo(String.valueOf(db1.port()));
            }
            assertThat(proxy.server().status(NS + "/split").orElseThrow().config().routing())
                    .isEqualTo(new RoutingConfig(RoutingConfig.Mode.READ_WRITE_SPLIT, -1,
                            RoutingConfig.CausalReads.LOCAL, 2_500,
                            new RoutingConfig.TransactionReplay(true, 1 << 20, 5_000)));

            r = get("split");
            r.getSpec().routing.causalReads = "eventually";
            client.resources(MySQLProxy.class).inNamespace(NS).resource(r).update();
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                Condition ready = condition("split", "Ready");
                assertThat(ready.getStatus()).isEqualTo("False");
                assertThat(ready.getMessage()).contains("spec.routing.causalReads").contains("eventually");
            });

            r = get("split");
            r.getSpec().routing.causalReads = "local";
            r.getSpec().routing.mode = "sideways";
            client.resources(MySQLProxy.class).inNamespace(NS).resource(r).update();
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                Condition ready = condition("split", "Ready");
                assertThat(ready.getStatus()).isEqualTo("False");
                assertThat(ready.getMessage()).contains("spec.routing.mode").contains("sideways");
            });
        } finally {
            client.resources(MySQLProxy.class).inNamespace(NS).withName("split").delete();
        }
    }

    @Test
    void roleAutoWithoutAHealthCheckThatLogsInIsRefusedWithAReason() {
        int port = MariaDbServer.freePort();
        MySQLProxy r = resource("blind", port, null, db1.address());
        r.getSpec().backends.get(0).role = "auto";
        client.resources(MySQLProxy.class).inNamespace(NS).resource(r).create();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            Condition backends = condition("blind", "BackendsAvailable");
            assertThat(backends).isNotNull();
            assertThat(backends.getStatus()).isEqualTo("False");
            assertThat(backends.getReason()).isEqualTo("InvalidBackend");
            assertThat(backends.getMessage()).contains("role auto").contains("credentialsSecretRef");
        });
        assertThat(MariaDbServer.listening(port)).isFalse();
        client.resources(MySQLProxy.class).inNamespace(NS).withName("blind").delete();
    }

    @Test
    void aMissingConfigMapKeepsANewListenerClosedAndSaysSo() {
        int port = MariaDbServer.freePort();
        client.resources(MySQLProxy.class).inNamespace(NS).resource(resource("orphan", port, "nowhere", db1.address()))
                .create();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            Condition loaded = condition("orphan", "ScriptLoaded");
            assertThat(loaded).isNotNull();
            assertThat(loaded.getStatus()).isEqualTo("False");
            assertThat(loaded.getReason()).isEqualTo("ConfigMapNotFound");
            assertThat(loaded.getMessage()).isEqualTo("ConfigMap test/nowhere does not exist");
            assertThat(condition("orphan", "Ready").getStatus()).isEqualTo("False");
        });
        assertThat(MariaDbServer.listening(port)).isFalse();
    }
}
