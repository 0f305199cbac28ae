package io.mysqlproxy;

import io.mysqlproxy.config.Option;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** README documents every option, and CI runs the test command README gives. */
class ReadmeTest {
    @Test
    void everyOptionIsInTheOptionsTable() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        for (Option o : Option.values()) {
            assertThat(readme).as(o.key()).contains("`--" + o.key() + "`");
        }
    }

    @Test
    void theDocsAreTheProjectsOwn() throws IOException {
        try (var docs = Files.walk(Path.of("docs"))) {
            for (Path p : docs.filter(f -> f.toString().endsWith(".md")).toList()) {
                assertThat(Files.readString(p)).as(p.toString()).doesNotContain("../shared");
            }
        }
        assertThat(Files.readString(Path.of("README.md"))).doesNotContain("../shared")
                .contains("[docs/lua-api.md](docs/lua-api.md)");
        assertThat(Path.of("docs/lua-api.md")).exists();
    }

    @Test
    void theProxyStartsWithTheJvmOptionsItShipsWith() throws IOException {
        assertThat(Files.readString(Path.of("README.md"))).startsWith("# mysqlproxy\n\n```sh\n"
                + "mvn -B -q package -DskipTests && java @jvm.options -jar target/quarkus-app/quarkus-run.jar\n```");
        assertThat(Files.readString(Path.of("src/main/docker/Dockerfile.jvm")))
                .contains("COPY --chown=185 jvm.options /deployments/").contains("JAVA_OPTS=\"@/deployments/jvm.options");
        assertThat(Files.readAllLines(Path.of("jvm.options"))).anyMatch(l -> l.startsWith("-Xmx"));
    }

    @Test
    void ciRunsTheReadmeTestCommand() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        String ci = Files.readString(Path.of(".ci/run"));
        assertThat(readme).contains("```sh\nmvn -B verify\n```");
        assertThat(ci).containsPattern("(?m)^mvn -B verify$");
    }
}
