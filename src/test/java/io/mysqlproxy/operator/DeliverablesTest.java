package io.mysqlproxy.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.mysqlproxy.scripting.Script;
import io.mysqlproxy.scripting.ScriptCompiler;
import io.mysqlproxy.scripting.ScriptRuntime;
import io.mysqlproxy.scripting.ScriptingOptions;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.jse.JsePlatform;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** What ships beside the operator for Kubernetes users: the GitOps example and the Argo CD health check. */
class DeliverablesTest {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final Path GITOPS = Path.of("examples/gitops");

    @Test
    void gitopsExampleGeneratesTheScriptConfigMapThatTheResourceNames() throws Exception {
        JsonNode kustomization = YAML.readTree(GITOPS.resolve("kustomization.yaml").toFile());
        JsonNode generator = kustomization.at("/configMapGenerator/0");
        JsonNode resource = YAML.readTree(GITOPS.resolve("mysqlproxy.yaml").toFile());
        assertThat(resource.at("/kind").asText()).isEqualTo("MySQLProxy");
        assertThat(resource.at("/spec/script/configMapRef/name").asText()).isEqualTo(generator.get("name").asText());
        String key = resource.at("/spec/script/configMapRef/key").asText();
        Map<String, String> data = new TreeMap<>();
        for (JsonNode f : generator.get("files")) {
            String[] kv = f.asText().split("=", 2);
            data.put(kv[0], Files.readString(GITOPS.resolve(kv[1])));
        }
        assertThat(data).containsKey(key);
        JsonNode reference = YAML.readTree(GITOPS.resolve(kustomization.at("/configurations/0").asText()).toFile());
        JsonNode spec = reference.at("/nameReference/0/fieldSpecs/0");
        assertThat(spec.get("kind").asText()).isEqualTo("MySQLProxy");
        assertThat(spec.get("path").asText()).isEqualTo("spec/script/configMapRef/name");
        JsonNode crd = YAML.readTree(Path.of("crds/mysqlproxies.mysqlproxy.io-v1.yml").toFile());
        assertThat(crd.at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/script/properties"
                + "/configMapRef/properties/name/type").asText()).isEqualTo("string");

        // the scripts load as the operator loads them: entry script and modules from the ConfigMap's keys
        Map<String, String> modules = new TreeMap<>(data);
        String main = modules.remove(key);
        Script script = new ScriptCompiler().compileInline("apps/routing/" + key, main, modules);
        ScriptRuntime runtime = new ScriptRuntime(ScriptingOptions.DEFAULTS, 1, script);
        try {
            runtime.check(script);
            assertThat(runtime.defines("read_query")).isTrue();
            assertThat(runtime.defines("connect_server")).isTrue();
        } finally {
            runtime.close();
        }
    }

    @Test
    void theReadWriteSplitExampleIsAResourceOfTheModel() throws Exception {
        MySQLProxy r = YAML.readValue(Path.of("examples/read-write-split.yaml").toFile(), MySQLProxy.class);
        assertThat(r.getSpec().routing.mode).isEqualTo("read-write-split");
        assertThat(r.getSpec().routing.backendRoleDiscovery).isEqualTo("read-only-flag");
        assertThat(r.getSpec().routing.maxReplicationLagSeconds).isEqualTo(5);
        assertThat(r.getSpec().routing.causalReads).isEqualTo("local");
        assertThat(r.getSpec().routing.causalReadsTimeoutSeconds).isEqualTo(2.0);
        assertThat(r.getSpec().routing.transactionReplay).isTrue();
        assertThat(r.getSpec().healthCheck.credentialsSecretRef.name).isNotBlank();
        assertThat(r.getSpec().backends).hasSize(3);
    }

    /** The canary example: two ConfigMaps whose scripts load, and a resource of the model naming them. */
    @Test
    void theCanaryExampleIsTwoConfigMapsAndAResourceOfTheModel() throws Exception {
        List<JsonNode> documents = YAML.readValues(YAML.getFactory().createParser(Path.of("examples/canary.yaml")
                .toFile()), JsonNode.class).readAll();
        assertThat(documents).hasSize(3);
        for (JsonNode configMap : documents.subList(0, 2)) {
            assertThat(configMap.get("kind").asText()).isEqualTo("ConfigMap");
            Script script = new ScriptCompiler().compileInline(configMap.at("/metadata/name").asText(),
                    configMap.at("/data/main.lua").asText(), Map.of());
            ScriptRuntime runtime = new ScriptRuntime(ScriptingOptions.DEFAULTS, 1, script);
            try {
                runtime.check(script);
                assertThat(runtime.defines("read_query")).isTrue();
            } finally {
                runtime.close();
            }
        }
        MySQLProxy r = YAML.treeToValue(documents.get(2), MySQLProxy.class);
        assertThat(r.getSpec().script.configMapRef.name).isEqualTo("routing");
        assertThat(r.getSpec().script.canary.configMapRef.name).isEqualTo("routing-next");
        assertThat(r.getSpec().script.canary.weight).isEqualTo(10);
        assertThat(ListenerTranslator.promoteAfterMillis(r.getSpec().script.canary.promote)).isEqualTo(600_000);
    }

    private static String health(String status, long generation) throws Exception {
        Globals g = JsePlatform.standardGlobals();
        LuaValue obj = g.load("return " + "{ metadata = { generation = " + generation + " }, " + status + " }").call();
        g.set("obj", obj);
        LuaValue hs = g.load(Files.readString(Path.of("docs/argocd/health.lua")), "health.lua").call();
        return hs.get("status").tojstring() + ": " + hs.get("message").tojstring();
    }

    @Test
    void argoCdHealthFollowsTheConditions() throws Exception {
        assertThat(health("", 1)).startsWith("Progressing");
        assertThat(health("status = { observedGeneration = 1, conditions = {} }", 2)).startsWith("Progressing");
        assertThat(health("status = { observedGeneration = 2, conditions = { { type = 'Ready', status = 'True',"
                + " message = 'listening on port 4040' } } }", 2)).isEqualTo("Healthy: listening on port 4040");
        assertThat(health("status = { observedGeneration = 2, conditions = { { type = 'Ready', status = 'False',"
                + " message = 'see below' }, { type = 'ScriptLoaded', status = 'False', message = 'main.lua:3: x' } } }",
                2)).isEqualTo("Degraded: ScriptLoaded: main.lua:3: x");
    }
}
