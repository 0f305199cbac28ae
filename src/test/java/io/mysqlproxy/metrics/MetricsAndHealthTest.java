package io.mysqlproxy.metrics;

import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.mysqlproxy.config.HealthCheck;
import io.mysqlproxy.health.RunningProxy;
import io.mysqlproxy.testing.MariaDbServer;
import io.mysqlproxy.testing.TestProxy;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

/**
 * The proxy's meters as Prometheus scrapes them from Quarkus' endpoint after real traffic, its health as
 * Kubernetes probes see it, and the Grafana dashboard's queries against what the endpoint offers.
 */
@QuarkusTest
class MetricsAndHealthTest {
    static MariaDbServer db;
    static Path script;

    @Inject
    PrometheusMeterRegistry registry;

    @Inject
    RunningProxy running;

    TestProxy proxy;

    @BeforeAll
    static void startServer() throws Exception {
        db = MariaDbServer.start();
        db.execute("CREATE USER 'app'@'%' IDENTIFIED BY 'apppw'", "GRANT ALL ON *.* TO 'app'@'%'");
        script = Files.createTempFile("metrics", ".lua");
        Files.writeString(script, "function read_query(packet) end");
    }

    @AfterAll
    static void stopServer() {
        db.close();
    }

    @BeforeEach
    void startProxy() {
        proxy = TestProxy.builder().backend(db.address()).registry(registry).script(script).maxConnections(1)
                .health(new HealthCheck(100, 500, 2, 1, null, null, "SELECT 1")).start();
        running.set(proxy.server());
    }

    @AfterEach
    void stopProxy() {
        running.set(null);
        proxy.close();
    }

    private Connection client() throws SQLException {
        return DriverManager.getConnection(proxy.mariadbUrl("", ""), "app", "apppw");
    }

    /** Every sample of the scrape, keyed by name and labels as Prometheus prints them. */
    static Map<String, Double> scrape() {
        String body = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Map<String, Double> out = new HashMap<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return out;
    }

    @Test
    void trafficShowsInTheMeters() throws Exception {
        String queries = "mysqlproxy_commands_total{command=\"com_query\",listener=\"default\"}";
        String latency = "mysqlproxy_query_duration_seconds_count{listener=\"default\"}";
        String errors = "mysqlproxy_query_errors_total{listener=\"default\"}";
        String hook = "mysqlproxy_lua_hook_duration_seconds_count{hook=\"read_query\"}";
        String accepted = "mysqlproxy_client_connections_accepted_total{listener=\"default\"}";
        String refused = "mysqlproxy_client_connections_refused_total{listener=\"default\",reason=\"max_connections\"}";
        String fromClients = "mysqlproxy_client_received_bytes_total{listener=\"default\"}";
        String backend = "{backend=\"" + db.address() + "\",listener=\"default\"}";
        try (Connection c = client(); Statement s = c.createStatement()) {
            Map<String, Double> before = scrape();
            for (int i = 0; i < 5; i++) {
                s.executeQuery("SELECT " + i).close();
            }
            assertThatThrownBy(() -> s.execute("SELECT no_such_column")).isInstanceOf(SQLException.class);
            assertThatThrownBy(this::client).hasMessageContaining("Too many connections");
            Map<String, Double> after = scrape();
            assertThat(after.get(queries) - before.get(queries)).isEqualTo(6.0);
            assertThat(after.get(latency) - before.get(latency)).isEqualTo(6.0);
            assertThat(after.get(errors) - before.get(errors)).isEqualTo(1.0);
            assertThat(after.get(hook) - before.get(hook)).isEqualTo(6.0);
            assertThat(after.get(refused) - before.get(refused)).isEqualTo(1.0);
            assertThat(after.get(fromClients) - before.get(fromClients))
                    .isGreaterThanOrEqualTo(5 * "SELECT 0".length() + "SELECT no_such_column".length());
            assertThat(after.get(accepted)).isGreaterThanOrEqualTo(1.0);
            String body = given().get("/q/metrics").then().extract().asString();
            String ours = Arrays.stream(body.split("\n")).filter(l -> l.startsWith("mysqlproxy_"))
                    .collect(Collectors.joining("\n"));
            assertThat(body).as("no statement text or password in the metrics").doesNotContain("no_such_column")
                    .doesNotContain("SELECT").doesNotContain("apppw");
            assertThat(ours).as("no user name in the proxy's metrics").isNotEmpty().doesNotContain("\"app\"");
            assertThat(after.get("mysqlproxy_client_connections{listener=\"default\"}")).isEqualTo(1.0);
            assertThat(after.get("mysqlproxy_backend_connections" + backend)).isEqualTo(1.0);
            assertThat(after.get("mysqlproxy_backend_up" + backend)).isEqualTo(1.0);
            String all = "mysqlproxy_query_duration_seconds_bucket{listener=\"default\",le=\"+Inf\"}";
            assertThat(after.get(all) - before.get(all)).isEqualTo(6.0);
        }
        await().atMost(Duration.ofSeconds(5)).until(() ->
                scrape().get("mysqlproxy_client_connections{listener=\"default\"}") == 0.0);
    }

    @Test
    void readinessFollowsTheOnlyBackend() {
        given().get("/q/health/started").then().statusCode(200);
        given().get("/q/health/live").then().statusCode(200).body(containsString("event-loops"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().get("/q/health/ready").then()
                .statusCode(200).body(containsString("1 of 1 backends take connections")));
        db.kill();
        try {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().get("/q/health/ready").then()
                    .statusCode(503).body(containsString("0 of 1 backends take connections")));
            given().get("/q/health/live").then().statusCode(200);
        } finally {
            db.restart();
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().get("/q/health/ready").then()
                .statusCode(200));
    }

    @Test
    void everyMetricTheDashboardQueriesIsExported() throws Exception {
        String dashboard = Files.readString(Path.of("helm/mysqlproxy/dashboards/mysqlproxy.json"));
        Set<String> queried = new TreeSet<>();
        Matcher m = Pattern.compile("mysqlproxy_[a-z_]+").matcher(dashboard);
        while (m.find()) {
            queried.add(m.group());
        }
        assertThat(queried).hasSizeGreaterThan(15);
        try (Connection c = client(); Statement s = c.createStatement()) {
            s.executeQuery("SELECT 1").close(); // command counters appear with the first command of their type
        }
        Set<String> exported = new TreeSet<>();
        for (String series : scrape().keySet()) {
            int brace = series.indexOf('{');
            exported.add(brace < 0 ? series : series.substring(0, brace));
        }
        assertThat(exported).containsAll(queried);
    }
}
