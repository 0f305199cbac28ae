package io.mysqlproxy.scripting;

import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.MariaDbServer;
import io.mysqlproxy.testing.TestProxy;
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

/** connect_server: a script that is the whole server (no backend), and a script that picks the backend. */
class ConnectServerTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension(2);

    static final String MOCK = """
            local proto = require("mysql.proto")
            function connect_server()
              proxy.response = { type = proxy.MYSQLD_PACKET_RAW,
                                 packets = { proto.to_challenge_packet({ server_version = 50744 }) } }
              return proxy.PROXY_SEND_RESULT
            end
            function read_query(packet)
              local q = packet:sub(2)
              if packet:byte() == proxy.COM_QUERY and q:match("^SELECT") then
                proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = {
                  fields = { { name = "echo" } }, rows = { { "mock: " .. q } } } }
              else
                proxy.response = { type = proxy.MYSQLD_PACKET_OK, affected_rows = 0 }
              end
              return proxy.PROXY_SEND_RESULT
            end
            """;

    @Test
    void scriptIsTheWholeServer(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("mock.lua");
        Files.writeString(script, MOCK);
        int nothing = MariaDbServer.freePort();
        try (TestProxy proxy = TestProxy.builder().backend("127.0.0.1:" + nothing).script(script).start()) {
            Cli.Result r = Cli.run("mariadb", proxy.port(), "anyone", "", null, "--batch", "-e", "SELECT 1");
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(r.output()).contains("mock: SELECT 1");
            try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "anyone", "");
                 Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 'x'")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("mock: SELECT 'x'");
            }
        }
    }

    @Test
    void scriptPicksTheBackend(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("pick.lua");
        Files.writeString(script, """
                function connect_server()
                  proxy.connection.backend_ndx = #proxy.global.backends
                end
                """);
        try (TestProxy proxy = TestProxy.builder().backend(DB.server(0).address()).backend(DB.server(1).address())
                .script(script).start();
             Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT @@port")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(DB.server(1).port());
        }
    }

    @Test
    void scriptTakesABackendOutOfService(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("state.lua");
        Files.writeString(script, """
                function read_query(packet)
                  local sql = packet:sub(2)
                  if sql == "SELECT drain" then
                    proxy.global.backends[1].state = proxy.BACKEND_STATE_OFFLINE
                  elseif sql == "SELECT restore" then
                    proxy.global.backends[1].state = proxy.BACKEND_STATE_UNKNOWN
                  elseif sql == "SELECT retype" then
                    proxy.global.backends[1].type = proxy.BACKEND_TYPE_RO
                  else
                    return
                  end
                  proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = { fields = { { name = "state" } },
                    rows = { { proxy.global.backends[1].state } } } }
                  return proxy.PROXY_SEND_RESULT
                end
                """);
        try (TestProxy proxy = TestProxy.builder().backend(DB.server(0).address()).backend(DB.server(1).address())
                .script(script).start();
             Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
             Statement s = c.createStatement()) {
            assertThat(port(proxy)).isEqualTo(DB.server(0).port());
            try (ResultSet rs = s.executeQuery("SELECT drain")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(3);
            }
            assertThat(port(proxy)).isEqualTo(DB.server(1).port()); // new connections avoid it
            assertThatThrownBy(() -> s.executeQuery("SELECT retype")).hasMessageContaining("is not writable");
            s.executeQuery("SELECT restore").close();
            assertThat(port(proxy)).isEqualTo(DB.server(0).port());
        }
    }

    private static int port(TestProxy proxy) throws SQLException {
        try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT @@port")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void scriptRefusesTheClient(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("refuse.lua");
        Files.writeString(script, """
                function connect_server()
                  proxy.response = { type = proxy.MYSQLD_PACKET_ERR, errmsg = "closed for maintenance",
                                     errcode = 1040, sqlstate = "08004" }
                  return proxy.PROXY_SEND_RESULT
                end
                """);
        try (TestProxy proxy = TestProxy.builder().backend(DB.server(0).address()).script(script).start()) {
            assertThatThrownBy(() -> DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", ""))
                    .isInstanceOf(SQLException.class).hasMessageContaining("closed for maintenance");
        }
    }

    @Test
    void protoRoundTrips(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("proto.lua");
        Files.writeString(script, """
                local proto = require("mysql.proto")
                function read_query(packet)
                  local err = proto.from_err_packet(proto.to_err_packet({ errmsg = "m", errcode = 1234, sqlstate = "HY001" }))
                  local ok = proto.from_ok_packet(proto.to_ok_packet({ affected_rows = 3, insert_id = 7 }))
                  local ch = proto.from_challenge_packet(proto.to_challenge_packet({ server_version = 50114, thread_id = 9 }))
                  local bad = pcall(proto.from_ok_packet, "\\255")
                  proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = { fields = { { name = "r" } },
                    rows = { { table.concat({ err.errmsg, err.errcode, err.sqlstate, ok.affected_rows, ok.insert_id,
                                              ch.server_version, ch.thread_id, #ch.challenge, tostring(bad) }, ",") } } } }
                  return proxy.PROXY_SEND_RESULT
                end
                """);
        try (TestProxy proxy = TestProxy.builder().backend(DB.server(0).address()).script(script).start();
             Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("m,1234,HY001,3,7,50114,9,20,false");
        }
    }
}
