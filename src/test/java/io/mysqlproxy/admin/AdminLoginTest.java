package io.mysqlproxy.admin;

import io.mysqlproxy.testing.Cli;
import io.mysqlproxy.testing.MariaDbExtension;
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

/** Who may log in to the admin interface, how often they may fail, and which script answers them. */
class AdminLoginTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();

    private static Connection login(TestProxy proxy, String user, String password) throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + proxy.adminPort() + "/", user, password);
    }

    @Test
    void wrongCredentialsAreDeniedAndRepeatedFailuresBlockTheHost() throws Exception {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).admin("admin", "pw", null, 2)
                .start()) {
            assertThatThrownBy(() -> login(proxy, "admin", "wrong")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("Access denied for user 'admin'@'127.0.0.1' (using password: YES)")
                    .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(1045));
            assertThatThrownBy(() -> login(proxy, "root", "pw")).hasMessageContaining("Access denied for user 'root'");
            // two failures within the minute: now even the right password is refused
            assertThatThrownBy(() -> login(proxy, "admin", "pw"))
                    .hasMessageContaining("is blocked because of too many failed admin logins")
                    .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(1129));
            assertThat(proxy.server().metrics().registry().get("mysqlproxy.admin.logins").tag("result", "denied")
                    .counter().count()).isEqualTo(2.0);
        }
    }

    @Test
    void anEmptyPasswordRefusesEveryLoginAndSaysWhy() throws Exception {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).admin("admin", "", null, 5)
                .start()) {
            Cli.Result r = Cli.run("mariadb", proxy.adminPort(), "admin", "", null, "-e", "SELECT * FROM help");
            assertThat(r.exitCode()).isNotZero();
            assertThat(r.output()).contains("ERROR 1045").contains("the admin interface has no password: set --admin-password");
        }
    }

    @Test
    void aClientStartingWithAnotherPluginIsSwitchedToNativePassword() throws Exception {
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).admin("admin", "pw", null, 5)
                .start()) {
            String url = "jdbc:mysql://127.0.0.1:" + proxy.adminPort() + "/?sslMode=DISABLED&defaultAuthenticationPlugin="
                    + "com.mysql.cj.protocol.a.authentication.CachingSha2PasswordPlugin";
            try (Connection c = DriverManager.getConnection(url, "admin", "pw"); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT * FROM backends")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString("address")).isEqualTo(DB.server().address());
            }
            assertThatThrownBy(() -> DriverManager.getConnection(url, "admin", "nope"))
                    .hasMessageContaining("Access denied");
        }
    }

    @Test
    void aCustomAdminScriptAnswersWithTheAdminApi(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("my-admin.lua");
        Files.writeString(script, """
                function read_query(packet)
                  if packet:sub(2):lower():match("^set ") then -- what the driver sends as it connects
                    proxy.response = { type = proxy.MYSQLD_PACKET_OK }
                    return proxy.PROXY_SEND_RESULT
                  end
                  if packet:sub(2):lower() == "select backend_count" then
                    local t = admin.table("backends")
                    proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = {
                      fields = { { name = "n", type = proxy.MYSQL_TYPE_LONGLONG } }, rows = { { #t.rows } } } }
                    return proxy.PROXY_SEND_RESULT
                  end
                  proxy.response = { type = proxy.MYSQLD_PACKET_ERR, errmsg = "only backend_count here" }
                  return proxy.PROXY_SEND_RESULT
                end
                """);
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).backend(DB.server().address())
                .admin("ops", "pw", script, 5).start();
             Connection c = login(proxy, "ops", "pw"); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT backend_count")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt("n")).isEqualTo(2);
            }
            assertThatThrownBy(() -> s.executeQuery("SELECT * FROM help")).hasMessageContaining("only backend_count here");
        }
    }
}
