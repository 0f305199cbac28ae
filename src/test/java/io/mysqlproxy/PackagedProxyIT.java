package io.mysqlproxy;

import io.mysqlproxy.config.Option;
import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.MariaDbServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The packaged application as README starts it: a separate process, options on the command line, SIGTERM to stop. */
class PackagedProxyIT {
    private static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");

    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();

    private static Process launch(Path log, String... args) throws IOException {
        return launch(log, List.of(), args);
    }

    private static Process launch(Path log, List<String> jvmArgs, String... args) throws IOException {
        return launch(log, jvmArgs, Map.of(), args);
    }

    private static Process launch(Path log, List<String> jvmArgs, Map<String, String> env, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of("java", "@jvm.options"));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        return builder.start();
    }

    @Test
    void optionsComeFromEnvironmentVariablesAndSystemPropertiesToo(@TempDir Path tmp)
            throws Exception {
        int port = MariaDbServer.freePort();
        int extraPort = MariaDbServer.freePort();
        Path log = tmp.resolve("proxy.log");
        Process proxy = launch(log, List.of("-Dmysqlproxy.proxy-max-connections=1"), Map.of(
                "MYSQLPROXY_PROXY_ADDRESS", "127.0.0.1:" + port,
                "MYSQLPROXY_PROXY_BACKEND_ADDRESSES", DB.server().address(),
                "MYSQLPROXY_ADMIN_ADDRESS", "127.0.0.1:" + MariaDbServer.freePort(),
                "MYSQLPROXY_LISTENERS_SECOND_ONE_ADDRESS", "127.0.0.1:" + extraPort,
                "MYSQLPROXY_LISTENERS_SECOND_ONE_BACKEND_ADDRESSES", DB.server().address()));
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> MariaDbServer.listening(extraPort));
            assertThat(Cli.run("mariadb", port, "root", "", null, "--batch", "-e", "SELECT 1 AS one").output())
                    .contains("one\n1");
            assertThat(Cli.run("mariadb", extraPort, "root", "", null, "--batch", "-e", "SELECT 2 AS two").output())
                    .contains("two\n2");
            assertThat(Files.readString(log)).contains("listener second-one on /127.0.0.1:" + extraPort);
            // the system property's limit of one client: a second one at once is refused
            try (Connection first = DriverManager.getConnection(
                    "jdbc:mariadb://127.0.0.1:" + port + "/", "root", "")) {
                assertThat(Cli.run("mariadb", port, "root", "", null, "--skip-ssl", "-e", "SELECT 1").output())
                        .contains("ERROR 1040 (08004): Too many connections: listener default allows 1");
            }
        } finally {
            proxy.destroyForcibly();
            proxy.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aScriptThatIsMissingOrDoesNotCompileStopsStartUpWithExitCode2(@TempDir Path tmp)
            throws Exception {
        Path broken = Files.writeString(tmp.resolve("broken.lua"), "function read_query(\n");
        for (String script : new String[] {tmp.resolve("missing.lua").toString(), broken.toString()}) {
            Path log = tmp.resolve("proxy.log");
            Process proxy = launch(log, "--proxy-address=127.0.0.1:" + MariaDbServer.freePort(), "--admin-address=",
                    "--proxy-lua-script=" + script);
            assertThat(proxy.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(proxy.exitValue()).as(Files.readString(log)).isEqualTo(2);
            assertThat(Files.readString(log)).contains(script.endsWith("missing.lua")
                    ? "invalid value '" + script + "' for --proxy-lua-script: expected a readable file"
                    : "does not compile: broken.lua:2:");
        }
        Path log = tmp.resolve("typo.log");
        Process typo = launch(log, "--admin-address=", "--lua-time-budget=abc");
        assertThat(typo.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(typo.exitValue()).isEqualTo(2);
        assertThat(Files.readString(log)).contains("invalid value 'abc' for --lua-time-budget");
    }

    @Test
    void versionNamesTheBuildAndItsCommit(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("version.txt");
        Process p = launch(out, "--version");
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(out).strip()).matches("mysqlproxy \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? "
                + "\\(commit [0-9a-f]{7,}(, modified)?\\)");
    }

    @Test
    void aMySqlProxyCommandLineRunsWithItsPidFileAndWarnings(@TempDir Path tmp)
            throws Exception {
        int port = MariaDbServer.freePort();
        Path lib = Files.createDirectories(tmp.resolve("lib"));
        Files.writeString(lib.resolve("answers.lua"), "return { greeting = 'hello from lua-path' }");
        Path script = Files.writeString(tmp.resolve("main.lua"), """
                local DEBUG = os.getenv('DEBUG') or 0
                local answers = require('answers')
                require('chassis').log('message', 'script loaded, DEBUG=' .. DEBUG)
                function read_query(packet)
                  if packet:sub(2) == 'SELECT greeting' then
                    proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = {
                      fields = { { name = 'greeting' } }, rows = { { answers.greeting } } } }
                    return proxy.PROXY_SEND_RESULT
                  end
                end
                """);
        Path pidFile = tmp.resolve("mysql-proxy.pid");
        Path log = tmp.resolve("proxy.log");
        Process proxy = launch(log, List.of(), Map.of("DEBUG", "1"), "--daemon", "--keepalive",
                "--plugins=proxy", "--proxy-address=127.0.0.1:" + port, "--admin-address=",
                "--proxy-backend-addresses=" + DB.server().address(), "--proxy-lua-script=" + script,
                "--lua-path=" + lib + "/?.lua", "--lua-cpath=/usr/lib/mysql-proxy/lua/?.so",
                "--pid-file=" + pidFile, "--log-level=message");
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> MariaDbServer.listening(port));
            assertThat(Cli.run("mariadb", port, "root", "", null, "--batch", "-e", "SELECT greeting").output())
                    .contains("greeting\nhello from lua-path");
            assertThat(Files.readString(pidFile).strip()).isEqualTo(Long.toString(proxy.pid()));
            assertThat(Files.readString(log)).contains("--daemon is MySQL Proxy's and ignored here")
                    .contains("--keepalive is MySQL Proxy's").contains("--plugins is MySQL Proxy's")
                    .contains("C modules cannot load")
                    .contains("script loaded, DEBUG=0"); // DEBUG is set, but not allowed by --lua-env
            proxy.destroy();
            assertThat(proxy.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(pidFile).doesNotExist();
        } finally {
            proxy.destroyForcibly();
        }
    }

    @Test
    void relaysQueriesAndDrainsOnSigterm(@TempDir Path tmp) throws Exception {
        int port = MariaDbServer.freePort();
        Path log = tmp.resolve("proxy.log");
        Process proxy = launch(log, "--proxy-address=127.0.0.1:" + port,
                "--proxy-backend-addresses=" + DB.server().address(), "--shutdown-timeout=20");
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> MariaDbServer.listening(port));
            Cli.Result r = Cli.run("mariadb", port, "root", "", null, "--batch", "-e", "SELECT 6 * 7 AS answer");
            assertThat(r.output()).contains("answer\n42");
            CompletableFuture<Cli.Result> running = CompletableFuture.supplyAsync(() ->
                    Cli.run("mariadb", port, "root", "", null, "--batch", "-e", "SELECT SLEEP(2) AS slept"));
            Thread.sleep(700);
            proxy.destroy(); // SIGTERM
            assertThat(proxy.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(proxy.exitValue()).isZero();
            Cli.Result finished = running.get(10, TimeUnit.SECONDS);
            assertThat(finished.output()).contains("slept\n0");
            assertThat(Files.readString(log)).contains("all sessions closed");
            assertThat(MariaDbServer.listening(port)).isFalse();
        } finally {
            proxy.destroyForcibly();
        }
    }

    private static HttpResponse<String> get(int httpPort, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + httpPort + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * A trusted script (sandbox off) that blocks in Java cannot be interrupted by the budget: liveness reports its
     * Lua thread as stuck, and SIGTERM still ends the process within the shutdown timeout and a few seconds.
     */
    @Test
    void aLuaThreadThatNeverComesBackFailsLivenessAndCannotHoldUpShutdown(@TempDir Path tmp)
            throws Exception {
        int port = MariaDbServer.freePort();
        int httpPort = MariaDbServer.freePort();
        Path script = tmp.resolve("stuck.lua");
        Files.writeString(script, """
                function read_query(packet)
                  if packet:sub(2) == "SELECT stuck" then
                    luajava.bindClass("java.lang.Thread"):sleep(600000)
                  end
                end
                """);
        Path log = tmp.resolve("proxy.log");
        Process proxy = launch(log, List.of("-Dquarkus.http.port=" + httpPort), "--proxy-address=127.0.0.1:" + port,
                "--proxy-backend-addresses=" + DB.server().address(), "--admin-address=", "--proxy-lua-script="
                        + script, "--lua-sandbox=false", "--lua-threads=1", "--lua-time-budget=0.5",
                "--shutdown-timeout=1");
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> MariaDbServer.listening(port));
            assertThat(get(httpPort, "/q/health/live").statusCode()).isEqualTo(200);
            CompletableFuture.runAsync(() -> Cli.run("mariadb", port, "root", "", null, "-e", "SELECT stuck"));
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        HttpResponse<String> live = get(httpPort, "/q/health/live");
                        assertThat(live.statusCode()).isEqualTo(503);
                        assertThat(live.body()).contains("lua-threads").contains("stuck.lua has run one hook call");
                    });
            long sigterm = System.nanoTime();
            proxy.destroy();
            assertThat(proxy.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - sigterm)).isLessThan(15);
            assertThat(Files.readString(log)).contains("shutdown did not finish within 6000 ms; halting the process");
        } finally {
            proxy.destroyForcibly();
        }
    }

    @Test
    void adminInterfaceMetricsHealthAndJsonLogs(@TempDir Path tmp) throws Exception {
        int port = MariaDbServer.freePort();
        int adminPort = MariaDbServer.freePort();
        int httpPort = MariaDbServer.freePort();
        Path log = tmp.resolve("proxy.log");
        Process proxy = launch(log, List.of("-Dquarkus.http.port=" + httpPort), "--proxy-address=127.0.0.1:" + port,
                "--proxy-backend-addresses=" + DB.server().address(), "--admin-address=127.0.0.1:" + adminPort,
                "--admin-password=pw", "--log-format=json", "--slow-query-log=0.2");
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> MariaDbServer.listening(adminPort));
            Cli.Result q = Cli.run("mariadb", port, "root", "", null, "--batch", "-e", "SELECT SLEEP(0.3) AS slept");
            assertThat(q.output()).contains("slept\n0");
            Cli.Result admin = Cli.run("mariadb", adminPort, "admin", "pw", null, "--batch", "-e",
                    "SELECT * FROM query_digests");
            assertThat(admin.output()).contains("SELECT SLEEP(?) AS slept\t1\t");
            HttpClient http = HttpClient.newHttpClient();
            String metrics = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + httpPort + "/q/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("mysqlproxy_commands_total{command=\"com_query\",listener=\"default\"}");
            int ready = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + httpPort + "/q/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode();
            assertThat(ready).isEqualTo(200);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(Files.readString(log))
                    .contains("{\"timestamp\":").contains("\"logger\":\"io.mysqlproxy.slowlog\"")
                    .contains("slow query: 0.3"));
        } finally {
            proxy.destroyForcibly();
            proxy.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theDockerfileCopiesWhatThePackageBuiltAndRunsAsTheChartsUser() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("src/main/docker/Dockerfile.jvm"));
        List<String> copied = lines.stream().filter(l -> l.startsWith("COPY "))
                .map(l -> l.split("\\s+")[2]).toList();
        assertThat(copied).hasSize(5); // the four parts of the Quarkus package and jvm.options
        for (String source : copied) {
            String path = source.replace("*.jar", "quarkus-run.jar");
            assertThat(Path.of(path)).as(source).exists();
        }
        assertThat(lines).contains("USER 185");
        assertThat(Files.readString(Path.of("helm/mysqlproxy/templates/deployment.yaml"))).contains("runAsUser: 185");
    }

    @Test
    void unknownOptionStopsStartUpNamingIt(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("proxy.log");
        Process proxy = launch(log, "--proxy-adress=:4040");
        assertThat(proxy.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(proxy.exitValue()).isEqualTo(2);
        assertThat(Files.readString(log, StandardCharsets.UTF_8)).contains("unknown option --proxy-adress=:4040");
    }

    @Test
    void helpListsEveryOption(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("help.txt");
        Process proxy = launch(log, "--help");
        assertThat(proxy.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String help = Files.readString(log);
        for (Option o : Option.values()) {
            assertThat(help).contains("--" + o.key());
        }
    }
}
