package io.mysqlproxy.scripting;

import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** read_handshake, read_auth and read_auth_result against a real server, driven by real clients. */
class LoginHooksTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension(1);

    @BeforeAll
    static void users() {
        DB.server().execute("CREATE USER 'alice'@'%' IDENTIFIED BY 'secret'", "GRANT ALL ON *.* TO 'alice'@'%'",
                "CREATE USER 'evil'@'%' IDENTIFIED BY 'evil'", "GRANT ALL ON *.* TO 'evil'@'%'");
    }

    private static TestProxy proxy(Path dir, String lua) throws Exception {
        Path script = dir.resolve("login.lua");
        Files.writeString(script, lua);
        return TestProxy.builder().backend(DB.server().address()).script(script).start();
    }

    private static String query(TestProxy proxy, String user, String password, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), user, password);
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void hooksSeeTheConnectionAsItLogsIn(@TempDir Path dir) throws Exception {
        try (TestProxy proxy = proxy(dir, """
                local seen = {}
                function read_handshake()
                  local s = proxy.connection.server
                  seen[#seen + 1] = "handshake:" .. s.mysqld_version .. ":" .. s.thread_id .. ":" .. #s.scramble_buffer
                    .. ":" .. tostring(proxy.connection.client.username)
                end
                function read_auth()
                  local c = proxy.connection.client
                  seen[#seen + 1] = "auth:" .. c.username .. ":" .. tostring(c.default_db) .. ":" .. #c.scrambled_password
                end
                function read_auth_result(auth)
                  seen[#seen + 1] = "result:" .. auth.packet:byte(1)
                end
                function read_query(packet)
                  if packet:sub(2) == "SELECT seen" then
                    proxy.response = { type = proxy.MYSQLD_PACKET_OK,
                      resultset = { fields = { { name = "seen" } }, rows = { { table.concat(seen, " ") } } } }
                    return proxy.PROXY_SEND_RESULT
                  end
                end
                """)) {
            String seen = query(proxy, "alice", "secret", "SELECT seen");
            int version;
            try (Connection c = DriverManager.getConnection(DB.server().jdbcUrl(), "root", "");
                 Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT VERSION()")) {
                rs.next();
                String[] v = rs.getString(1).split("[.-]");
                version = Integer.parseInt(v[0]) * 10000 + Integer.parseInt(v[1]) * 100 + Integer.parseInt(v[2]);
            }
            assertThat(seen).matches("handshake:" + version + ":\\d+:2\\d:nil auth:alice:nil:20 result:0");
            assertThat(query(proxy, "alice", "secret", "SELECT CURRENT_USER()")).isEqualTo("alice@%");
        }
    }

    @Test
    void readAuthRefusesAUser(@TempDir Path dir) throws Exception {
        try (TestProxy proxy = proxy(dir, """
                function read_auth()
                  if proxy.connection.client.username == "evil" then
                    proxy.response = { type = proxy.MYSQLD_PACKET_ERR, errcode = 1045, sqlstate = "28000",
                                       errmsg = "evil is not welcome here" }
                    return proxy.PROXY_SEND_RESULT
                  end
                end
                """)) {
            assertThatThrownBy(() -> query(proxy, "evil", "evil", "SELECT 1")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("evil is not welcome here")
                    .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(1045));
            Cli.Result r = Cli.run("mariadb", proxy.port(), "evil", "evil", null, "-e", "SELECT 1");
            assertThat(r.exitCode()).isNotZero();
            assertThat(r.output()).contains("ERROR 1045 (28000)").contains("evil is not welcome here");
            assertThat(query(proxy, "alice", "secret", "SELECT 'in'")).isEqualTo("in");
        }
    }

    @Test
    void readHandshakeRefusesBeforeTheLogin(@TempDir Path dir) throws Exception {
        try (TestProxy proxy = proxy(dir, """
                function read_handshake()
                  if proxy.connection.client.src.address == "127.0.0.1" then
                    proxy.response = { type = proxy.MYSQLD_PACKET_ERR, errmsg = "only remote clients today" }
                    return proxy.PROXY_SEND_RESULT
                  end
                end
                """)) {
            assertThatThrownBy(() -> query(proxy, "alice", "secret", "SELECT 1")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("only remote clients today");
        }
    }

    @Test
    void readAuthRewritesTheCredentials(@TempDir Path dir) throws Exception {
        // MySQL Proxy's tutorial-scramble: the client says "guest", the proxy logs in as alice
        try (TestProxy proxy = proxy(dir, """
                local proto = require("mysql.proto")
                local password = require("mysql.password")
                function read_auth()
                  local c = proxy.connection.client
                  if c.username ~= "guest" then return end
                  proxy.queries:append(1, proto.to_response_packet({
                    username = "alice",
                    response = password.scramble(proxy.connection.server.scramble_buffer, password.hash("secret")),
                    charset = 8
                  }))
                  return proxy.PROXY_SEND_QUERY
                end
                """)) {
            assertThat(query(proxy, "guest", "whatever", "SELECT CURRENT_USER()")).isEqualTo("alice@%");
        }
    }

    @Test
    void readAuthResultRewritesARefusal(@TempDir Path dir) throws Exception {
        try (TestProxy proxy = proxy(dir, """
                function read_auth_result(auth)
                  if auth.packet:byte(1) == proxy.MYSQLD_PACKET_ERR then
                    local err = require("mysql.proto").from_err_packet(auth.packet)
                    proxy.response = { type = proxy.MYSQLD_PACKET_ERR, errcode = err.errcode, sqlstate = err.sqlstate,
                                       errmsg = "login refused by the database (" .. err.errcode .. ")" }
                    return proxy.PROXY_SEND_RESULT
                  end
                end
                """)) {
            assertThatThrownBy(() -> query(proxy, "alice", "wrong", "SELECT 1")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("login refused by the database (1045)");
            assertThat(query(proxy, "alice", "secret", "SELECT 'ok'")).isEqualTo("ok");
        }
    }

    @Test
    void aFailingLoginHookRefusesWithTheScriptError(@TempDir Path dir) throws Exception {
        try (TestProxy proxy = proxy(dir, """
                function read_auth()
                  error("the firewall is broken")
                end
                """)) {
            assertThatThrownBy(() -> query(proxy, "alice", "secret", "SELECT 1")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("Lua error in read_auth").hasMessageContaining("the firewall is broken");
        }
    }
}
