package io.mysqlproxy.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Helm chart, linted and rendered in-process (helm-java), its objects read back as YAML. */
class HelmChartTest {
    static final Path CHART = Path.of("helm/mysqlproxy");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static List<JsonNode> render(UnaryOperator<TemplateCommand> values) throws Exception {
        String out = values.apply(new Helm(CHART).template().withName("db").withNamespace("apps")).call();
        List<JsonNode> docs = new ArrayList<>();
        for (String doc : out.split("(?m)^---\\s*$")) {
            JsonNode n = YAML.readTree(doc);
            if (n != null && n.has("kind")) {
                docs.add(n);
            }
        }
        return docs;
    }

    static JsonNode only(List<JsonNode> docs, String kind) {
        List<JsonNode> found = docs.stream().filter(d -> d.get("kind").asText().equals(kind)).toList();
        assertThat(found).as(kind).hasSize(1);
        return found.get(0);
    }

    static List<String> kinds(List<JsonNode> docs) {
        return docs.stream().map(d -> d.get("kind").asText()).toList();
    }

    @Test
    void lintsClean() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Test
    void defaultsRenderASafeDeploymentWithProbesAndNamespacedRbac() throws Exception {
        List<JsonNode> docs = render(t -> t);
        assertThat(kinds(docs)).containsExactlyInAnyOrder("ServiceAccount", "Role", "RoleBinding", "Service",
                "Deployment");
        JsonNode deployment = only(docs, "Deployment");
        JsonNode pod = deployment.at("/spec/template/spec");
        JsonNode container = pod.at("/containers/0");
        assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(2);
        assertThat(container.at("/image").asText()).isEqualTo("mysqlproxy/mysqlproxy:0.1.0");
        assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(container.at("/securityContext/allowPrivilegeEscalation").asBoolean()).isFalse();
        assertThat(container.at("/volumeMounts/0/mountPath").asText()).isEqualTo("/tmp");
        assertThat(container.at("/startupProbe/httpGet/path").asText()).isEqualTo("/q/health/started");
        assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/q/health/live");
        assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/q/health/ready");
        List<String> args = new ArrayList<>();
        container.at("/args").forEach(a -> args.add(a.asText()));
        assertThat(args).contains("--kubernetes=true", "--proxy-address=", "--admin-address=", "--shutdown-timeout=30");
        assertThat(pod.at("/terminationGracePeriodSeconds").asInt()).isGreaterThan(30);
        assertThat(pod.at("/topologySpreadConstraints/0/topologyKey").asText()).isEqualTo("kubernetes.io/hostname");
        JsonNode env = container.at("/env");
        assertThat(env.findValuesAsText("name")).contains("QUARKUS_OPERATOR_SDK_NAMESPACES");
        assertThat(env.get(1).get("value").asText()).isEqualTo("apps");

        JsonNode role = only(docs, "Role");
        assertThat(role.at("/metadata/namespace").asText()).isEqualTo("apps");
        String rules = role.get("rules").toString();
        assertThat(rules).contains("mysqlproxies", "mysqlproxies/status", "configmaps", "endpointslices", "leases");
        assertThat(role.get("rules").findValues("verbs").toString()).doesNotContain("\"*\"");
    }

    @Test
    void everyOptionalObjectRendersWhenTurnedOn() throws Exception {
        List<JsonNode> docs = render(t -> t.set("rbac.clusterWide", true).set("serviceMonitor.enabled", true)
                .set("podDisruptionBudget.enabled", true).set("autoscaling.enabled", true)
                .set("grafanaDashboard.enabled", true).set("example.enabled", true)
                .set("watchNamespaces[0]", "*"));
        assertThat(kinds(docs)).contains("ClusterRole", "ClusterRoleBinding", "ServiceMonitor",
                "PodDisruptionBudget", "HorizontalPodAutoscaler", "MySQLProxy", "ConfigMap").doesNotContain("Role");
        JsonNode deployment = only(docs, "Deployment");
        assertThat(deployment.at("/spec/replicas").isMissingNode()).as("replicas left to the autoscaler").isTrue();
        assertThat(deployment.at("/spec/template/spec/containers/0/env/1/value").asText())
                .isEqualTo("JOSDK_ALL_NAMESPACES");
        JsonNode dashboard = docs.stream().filter(d -> d.get("kind").asText().equals("ConfigMap")
                && d.at("/metadata/labels/grafana_dashboard").asText().equals("1")).findFirst().orElseThrow();
        assertThat(YAML.readTree(dashboard.at("/data/mysqlproxy.json").asText()).get("title").asText())
                .isEqualTo("mysqlproxy");
        JsonNode example = only(docs, "MySQLProxy");
        assertThat(example.at("/spec/listener/port").asInt()).isEqualTo(4040);
        assertThat(example.at("/spec/script/configMapRef/name").asText()).isEqualTo("db-mysqlproxy-example-script");
    }

    @Test
    void rolesForEachWatchedNamespace() throws Exception {
        List<JsonNode> docs = render(t -> t.set("watchNamespaces[0]", "a").set("watchNamespaces[1]", "b"));
        assertThat(docs.stream().filter(d -> d.get("kind").asText().equals("Role"))
                .map(d -> d.at("/metadata/namespace").asText())).containsExactly("a", "b");
        assertThatThrownBy(() -> render(t -> t.set("watchNamespaces[0]", "*")))
                .hasMessageContaining("needs rbac.clusterWide=true");
    }

    @Test
    void theSchemaRejectsAWrongValueType() {
        assertThatThrownBy(() -> render(t -> t.set("replicaCount", "many")))
                .hasMessageContaining("replicaCount");
        assertThatThrownBy(() -> render(t -> t.set("logFormat", "xml"))).hasMessageContaining("logFormat");
    }

    @Test
    void theChartShipsTheCommittedCrd() throws Exception {
        String name = "mysqlproxies.mysqlproxy.io-v1.yml";
        assertThat(Files.readString(CHART.resolve("crds").resolve(name))).isEqualTo(Files.readString(Path.of("crds", name)));
        JsonNode crd = YAML.readTree(Files.readString(Path.of("crds", name)));
        assertThat(crd.at("/spec/names/shortNames/0").asText()).isEqualTo("myp");
        assertThat(crd.at("/spec/versions/0/subresources/status").isObject()).isTrue();
        assertThat(crd.at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/required").toString())
                .contains("listener");
    }
}
