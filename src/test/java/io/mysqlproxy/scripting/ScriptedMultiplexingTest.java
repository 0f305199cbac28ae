package io.mysqlproxy.scripting;

import io.mysqlproxy.config.MultiplexingConfig;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Multiplexing on listeners that run a Lua script: commands borrow connections from the pool of the backend the
 * script picks (read/write splitting reads from the replica's pool), and scripts read and force pinning through
 * {@code proxy.connection.pinned}. The two servers are not replicas: each says which one answered.
 */
class ScriptedMultiplexingTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension(2);
    private static final String CONTROL = """
            function connect_server()
              if #proxy.global.backends > 1 then
                proxy.connection.extra_backend_ndx = 2
              end
            end

            local function answer(value)
              proxy.response.type = proxy.MYSQLD_PACKET_OK
              proxy.response.resultset = {
                fields = { { name = "value", type = proxy.MYSQL_TYPE_STRING } },
                rows = { { value } } }
              return proxy.PROXY_SEND_RESULT
            end

            function read_query(packet)
              if packet:byte() ~= proxy.COM_QUERY then
                return
              end
              local q = packet:sub(2)
              if q == "SHOW PIN" then
                return answer(proxy.connection.pinned or "no")
              elseif q == "PIN" then
                proxy.connection.pinned = true
                return answer(proxy.connection.pinned)
              elseif q == "UNPIN" then
                proxy.connection.pinned = false
                return answer(proxy.connection.pinned or "no")
              end
              proxy.connection.backend_ndx = q:find("replica", 1, true) and 2 or 1
            end
            """;
    private static Path dir;
    private static TestProxy routing;
    private static TestProxy control;

    @BeforeAll
    static void start() throws Exception {
        for (int i = 0; i < 2; i++) {
            String name = i == 0 ? "primary" : "replica";
            DB.server(i).execute("CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw'", "GRANT ALL ON *.* TO 'app'@'%'",
                    "CREATE USER 'many'@'%' IDENTIFIED BY 'many-pw'", "GRANT ALL ON *.* TO 'many'@'%'",
                    "CREATE USER 'solo'@'%' IDENTIFIED BY 'solo-pw'", "GRANT ALL ON *.* TO 'solo'@'%'",
                    "CREATE DATABASE shop", "CREATE TABLE shop.whoami (name TEXT)",
                    "INSERT INTO shop.whoami VALUES ('" + name + "')", "CREATE TABLE shop.orders (id INT)");
        }
        routing = TestProxy.builder().backend(DB.server(0).address()).readOnlyBackend(DB.server(1).address())
                .script(Path.of("lua", "rw-splitting.lua").toAbsolutePath())
                .pool(new PoolConfig(0, 0, 60_000, new MultiplexingConfig(true, Set.of(), 3, 5_000))).start();
        dir = Files.createTempDirectory("mysqlproxy-mux-lua-");
        Path script = dir.resolve("control.lua");
        Files.writeString(script, CONTROL);
        control = TestProxy.builder().backend(DB.server(0).address()).readOnlyBackend(DB.server(1).address())
                .script(script)
                .pool(new PoolConfig(0, 0, 60_000, new MultiplexingConfig(true, Set.of("solo"), 2, 5_000))).start();
    }

    @AfterAll
    static void stop() throws Exception {
        routing.close();
        control.close();
        Files.deleteIfExists(dir.resolve("control.lua"));
        Files.deleteIfExists(dir);
    }

    private static Connection client(TestProxy proxy) throws SQLException {
        return DriverManager.getConnection(proxy.mariadbUrl("shop", "socketTimeout=20000"), "app", "app-pw");
    }

    private static Connection many(TestProxy proxy) throws SQLException {
        return DriverManager.getConnection(proxy.mariadbUrl("shop", "socketTimeout=20000"), "many", "many-pw");
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).as(sql).isTrue();
            return rs.getString(1);
        }
    }

    private static void run(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static int connectionsOfMany(int server) throws SQLException {
        try (Connection c = DriverManager.getConnection(DB.server(server).jdbcUrl(), "root", "")) {
            return Integer.parseInt(one(c, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'many'"));
        }
    }

    @Test
    void readsBorrowFromTheReplicasPoolAndWritesFromThePrimarys() throws SQLException {
        List<Connection> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                clients.add(many(routing));
            }
            for (int round = 0; round < 3; round++) {
                for (Connection c : clients) {
                    assertThat(one(c, "SELECT name FROM whoami")).isEqualTo("replica");
                    run(c, "INSERT INTO orders VALUES (" + round + ")");
                    assertThat(one(c, "SELECT name FROM whoami FOR UPDATE")).isEqualTo("primary");
                }
            }
            // eight clients, three connections to each server (the pools' limit) once the logins settled
            await().untilAsserted(() -> {
                assertThat(connectionsOfMany(0)).isLessThanOrEqualTo(3);
                assertThat(connectionsOfMany(1)).isLessThanOrEqualTo(3);
            });
            try (Connection root = DriverManager.getConnection(DB.server(0).jdbcUrl(), "root", "")) {
                assertThat(one(root, "SELECT COUNT(*) FROM shop.orders")).isEqualTo(String.valueOf(8 * 3));
            }
        } finally {
            for (Connection c : clients) {
                c.close();
            }
        }
    }

    @Test
    void sessionStateAndTransactionsKeepTheirPrimaryConnection() throws SQLException {
        try (Connection a = client(routing); Connection b = client(routing); Connection c = client(routing)) {
            run(a, "SET @mine = 41");
            for (int i = 0; i < 4; i++) {
                assertThat(one(c, "SELECT COALESCE(@mine, 'unset')")).isEqualTo("unset");
                assertThat(one(a, "SELECT CONCAT(@mine + 1, ' ', name) FROM whoami")).isEqualTo("42 primary");
            }
            run(b, "START TRANSACTION");
            run(b, "INSERT INTO orders VALUES (100)");
            assertThat(one(a, "SELECT COUNT(*) FROM orders WHERE id = 100")).isEqualTo("0");
            assertThat(one(b, "SELECT CONCAT(COUNT(*), ' ', MAX(name)) FROM orders, whoami WHERE id = 100"))
                    .isEqualTo("1 primary");
            run(b, "ROLLBACK");
            assertThat(one(b, "SELECT name FROM whoami")).isEqualTo("replica");
        }
    }

    @Test
    void aScriptSeesWhyItsClientIsPinned() throws SQLException {
        try (Connection c = client(control)) {
            assertThat(one(c, "SHOW PIN")).isEqualTo("no");
            run(c, "START TRANSACTION");
            assertThat(one(c, "SHOW PIN")).isEqualTo("transaction");
            run(c, "COMMIT");
            assertThat(one(c, "SHOW PIN")).isEqualTo("no");
            run(c, "SET @v = 1");
            assertThat(one(c, "SHOW PIN")).isEqualTo("user_variable");
            assertThat(one(c, "UNPIN")).as("a script lifts only its own pin").isEqualTo("user_variable");
        }
        try (Connection c = client(control)) {
            assertThat(one(c, "PIN")).isEqualTo("script");
            run(c, "SET @w = 1"); // state made while the script's pin holds: pinned for it from now on
            assertThat(one(c, "UNPIN")).isEqualTo("user_variable");
        }
    }

    private static boolean sameThread(Connection a, Connection b) throws SQLException {
        return one(a, "SELECT @@pseudo_thread_id").equals(one(b, "SELECT @@pseudo_thread_id"));
    }

    @Test
    void aScriptForcesAPinAndLiftsIt() throws SQLException {
        List<Connection> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                clients.add(client(control));
            }
            // two clients whose statements run on the same connection, one after the other
            Connection[] pair = null;
            for (Connection x : clients) {
                for (Connection y : clients) {
                    if (pair == null && x != y && sameThread(x, y) && sameThread(x, y)) {
                        pair = new Connection[] {x, y};
                    }
                }
            }
            assertThat(pair).as("two of six clients share a backend connection").isNotNull();
            forceAndLift(pair[0], pair[1]);
        } finally {
            for (Connection c : clients) {
                c.close();
            }
        }
    }

    private static void forceAndLift(Connection a, Connection b) throws SQLException {
        {
            assertThat(one(a, "PIN")).isEqualTo("script");
            String mine = one(a, "SELECT @@pseudo_thread_id");
            for (int i = 0; i < 5; i++) {
                assertThat(one(b, "SELECT @@pseudo_thread_id")).isNotEqualTo(mine);
                assertThat(one(a, "SELECT @@pseudo_thread_id")).isEqualTo(mine);
            }
            assertThat(one(a, "SHOW PIN")).isEqualTo("script");
            assertThat(one(a, "UNPIN")).isEqualTo("no");
            // shared again: a gives its connection back after each statement
            await().until(() -> sameThread(a, b));
        }
    }

    @Test
    void aScriptRoutesToTheReplicasPoolWithTheClientsDatabase() throws SQLException {
        try (Connection c = client(control)) {
            assertThat(one(c, "SELECT name FROM whoami /* replica */")).isEqualTo("replica");
            assertThat(one(c, "SELECT name FROM whoami")).isEqualTo("primary");
            run(c, "USE mysql");
            assertThat(one(c, "SELECT CONCAT(DATABASE(), ' ', (SELECT name FROM shop.whoami)) /* replica */"))
                    .isEqualTo("mysql replica");
            assertThat(one(c, "SELECT name FROM shop.whoami /* replica */")).isEqualTo("replica");
        }
    }

    @Test
    void anExcludedUserKeepsTheConnectionItLoggedInWith() throws SQLException {
        try (Connection c = DriverManager.getConnection(control.mariadbUrl("shop", ""), "solo", "solo-pw")) {
            assertThat(one(c, "SHOW PIN")).isEqualTo("excluded_user");
            String thread = one(c, "SELECT @@pseudo_thread_id");
            assertThat(one(c, "SELECT name FROM whoami /* replica */")).isEqualTo("primary");
            assertThat(one(c, "SELECT @@pseudo_thread_id")).isEqualTo(thread);
        }
    }

    @Test
    void killQueryStopsAScriptedClientsStatementOnly() throws Exception {
        try (Connection a = client(control); Connection killer = client(control)) {
            long aId = a.unwrap(org.mariadb.jdbc.Connection.class).getThreadId();
            CompletableFuture<String> sleeping = CompletableFuture.supplyAsync(() -> {
                try {
                    return one(a, "SELECT SLEEP(20)");
                } catch (SQLException e) {
                    return e.getMessage();
                }
            });
            try (Connection root = DriverManager.getConnection(DB.server(0).jdbcUrl(), "root", "")) {
                await().until(() -> one(root, "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                        + " WHERE INFO = 'SELECT SLEEP(20)'").equals("1"));
            }
            run(killer, "KILL QUERY " + aId);
            assertThat(sleeping.get(5, TimeUnit.SECONDS)).contains("Query execution was interrupted");
            assertThat(one(a, "SELECT 'a goes on'")).isEqualTo("a goes on");
        }
    }

    @Test
    void aListenerThatDoesNotMultiplexSaysSo() throws Exception {
        try (TestProxy dedicated = TestProxy.builder().backend(DB.server(0).address())
                .script(dir.resolve("control.lua")).start();
             Connection c = client(dedicated)) {
            assertThat(one(c, "SHOW PIN")).isEqualTo("not_multiplexed");
            assertThat(one(c, "PIN")).isEqualTo("not_multiplexed");
        }
    }
}
