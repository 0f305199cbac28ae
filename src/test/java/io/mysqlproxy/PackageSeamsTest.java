package io.mysqlproxy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The seams between packages hold: configuration sources reach the proxy only through config.ListenerRegistry, and
 * the admin interface reads the core through core.AdminView. Checked on the sources, imports and inline names alike.
 */
class PackageSeamsTest {
    private static final Path SOURCES = Path.of("src/main/java/io/mysqlproxy");

    @Test
    void operatorAndConfigKnowNothingOfTheCoreHealthOrAdmin() throws IOException {
        Pattern forbidden = Pattern.compile("io\\.mysqlproxy\\.(core|health|admin)\\b");
        for (String pkg : new String[] {"operator", "config"}) {
            forEachSource(pkg, (file, source) -> assertThat(forbidden.matcher(source).find())
                    .as(file + " references " + forbidden.pattern()).isFalse());
        }
    }

    @Test
    void adminAndProxyServerDoNotKnowEachOthersInsides() throws IOException {
        forEachSource("admin", (file, source) -> assertThat(source).as(file.toString()).doesNotContain("ProxyServer"));
        forEachSource("core", (file, source) -> assertThat(source).as(file.toString()).doesNotContain("AdminState"));
    }

    private interface SourceCheck {
        void check(Path file, String sourceWithoutPackageLine);
    }

    private static void forEachSource(String pkg, SourceCheck check) throws IOException {
        try (Stream<Path> files = Files.list(SOURCES.resolve(pkg))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                check.check(f, Files.readString(f).replaceFirst("package [\\w.]+;", ""));
            }
        }
    }
}
