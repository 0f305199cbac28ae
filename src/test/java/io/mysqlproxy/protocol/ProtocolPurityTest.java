package io.mysqlproxy.protocol;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The protocol package stays pure: Netty buffers yes; Vert.x, Quarkus, LuaJ, fabric8 and the rest of us, no. */
class ProtocolPurityTest {
    private static final List<String> FORBIDDEN = List.of("import io.vertx", "import io.quarkus", "import org.luaj",
            "import io.fabric8", "import io.javaoperatorsdk", "import io.mysqlproxy.core", "import io.mysqlproxy.backend",
            "import io.mysqlproxy.config", "import io.mysqlproxy.scripting", "import io.netty.channel");

    @Test
    void protocolImportsNothingButNettyBuffers() throws IOException {
        Path dir = Path.of("src/main/java/io/mysqlproxy/protocol");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String source = Files.readString(f);
                for (String forbidden : FORBIDDEN) {
                    assertThat(source).as(f.toString()).doesNotContain(forbidden);
                }
            }
        }
    }
}
