package io.mysqlproxy.operator;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CRD committed in crds/ is the one the build generates from the Java model (the build writes it to
 * target/kubernetes/ while packaging, so this runs as an integration test, after the package phase).
 */
class CrdDriftIT {
    static final String FILE = "mysqlproxies.mysqlproxy.io-v1.yml";

    @Test
    void committedCrdMatchesTheModel() throws Exception {
        String generated = Files.readString(Path.of("target/kubernetes", FILE));
        assertThat(Files.readString(Path.of("crds", FILE)))
                .as("crds/%s differs from the CRD generated from the model: copy target/kubernetes/%s to crds/", FILE,
                        FILE)
                .isEqualTo(generated);
    }
}
