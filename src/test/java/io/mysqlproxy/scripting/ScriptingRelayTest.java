package io.mysqlproxy.scripting;

import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.ErrPacket;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.RawClient;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** MySQL Proxy 0.8 scripts on real connections: answering, injecting, rewriting results, errors, the sandbox. */
class ScriptingRelayTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();
    static Path dir;
    static TestProxy proxy;

    static final String SCRIPT = """
            local tokens_seen = 0   -- per connection
            function read_query(packet)
              if packet:byte() ~= proxy.COM_QUERY then return end
              local q = packet:sub(2)
              tokens_seen = tokens_seen + 1
              if q == "SELECT 'mock'" then
                proxy.response.type = proxy.MYSQLD_PACKET_OK
                proxy.response.resultset = {
                  fields = { { name = "answer", type = proxy.MYSQL_TYPE_STRING }, { name = "n" } },
                  rows = { { "from lua", 1 }, { nil, 2 } } }
                return proxy.PROXY_SEND_RESULT
              elseif q == "SELECT big" then -- 1,000 rows of 1,000 bytes
                proxy.global.big_answered = (proxy.global.big_answered or 0) + 1
                local rows, row = {}, { string.rep("x", 1000) }
                for i = 1, 1000 do rows[i] = row end
                proxy.response = { type = proxy.MYSQLD_PACKET_OK,
                                   resultset = { fields = { { name = "x" } }, rows = rows } }
                return proxy.PROXY_SEND_RESULT
              elseif q == "SELECT big_answered" then
                proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = { fields = { { name = "n" } },
                                   rows = { { proxy.global.big_answered or 0 } } } }
                return proxy.PROXY_SEND_RESULT
              elseif q == "SELECT 'deny'" then
                proxy.response = { type = proxy.MYSQLD_PACKET_ERR, errmsg = "denied by script", errcode = 1142,
                                   sqlstate = "42000" }
                return proxy.PROXY_SEND_RESULT
              elseif q:match("^SELECT upper:") then
                proxy.queries:append(1, string.char(proxy.COM_QUERY) .. "SELECT " .. q:sub(14),
                                     { resultset_is_needed = true })
                proxy.queries:append(2, string.char(proxy.COM_QUERY) .. "SELECT 'ignored'",
                                     { resultset_is_needed = true })
                return proxy.PROXY_SEND_QUERY
              elseif q == "SELECT timed" then
                proxy.queries:append(3, string.char(proxy.COM_QUERY) .. "SELECT SLEEP(0.05)")
                return proxy.PROXY_SEND_QUERY
              elseif q == "SELECT who" then
                local c = proxy.connection
                proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = {
                  fields = { { name = "user" }, { name = "db" }, { name = "version" }, { name = "backends" },
                             { name = "client" }, { name = "seen" } },
                  rows = { { c.client.username, c.client.default_db, c.server.mysqld_version, #proxy.global.backends,
                             c.client.src.address, tokens_seen } } } }
                return proxy.PROXY_SEND_RESULT
              elseif q == "SELECT sandbox" then
                local r = {}
                for _, name in ipairs({ "io", "luajava", "dofile", "loadfile", "debug" }) do
                  r[#r + 1] = name .. "=" .. type(_G[name])
                end
                r[#r + 1] = "os.execute=" .. type(os.execute)
                r[#r + 1] = "string.dump=" .. type(string.dump)
                r[#r + 1] = "os.time=" .. type(os.time)
                r[#r + 1] = "version=" .. _VERSION
                r[#r + 1] = "bytecode=" .. tostring(load(string.char(27) .. "LuaR") ~= nil)
                proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = {
                  fields = { { name = "report" } }, rows = { { table.concat(r, " ") } } } }
                return proxy.PROXY_SEND_RESULT
              elseif q == "SELECT boom" then
                error("exploded on purpose")
              elseif q == "SELECT forever" then
                while true do end
              elseif q == "SELECT count" then
                local n = proxy.atomic_add(proxy.global.config, "count", 1)
                proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = {
                  fields = { { name = "count" } }, rows = { { n } } } }
                return proxy.PROXY_SEND_RESULT
              end
            end

            function read_query_result(inj)
              if inj.id == 1 then
                local rows = {}
                for row in inj.resultset.rows do rows[#rows + 1] = { string.upper(row[1]) } end
                proxy.response = { type = proxy.MYSQLD_PACKET_OK, resultset = {
                  fields = { { name = inj.resultset.fields[1].name } }, rows = rows } }
                return proxy.PROXY_SEND_RESULT
              elseif inj.id == 2 then
                return proxy.PROXY_IGNORE_RESULT
              elseif inj.id == 3 then
                proxy.global.config.last_query_time = inj.query_time
              end
            end
            """;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("mysqlproxy-lua-");
        Path script = dir.resolve("main.lua");
        Files.writeString(script, SCRIPT);
        DB.server().execute("CREATE DATABASE app", "CREATE USER 'alice'@'%' IDENTIFIED BY 'secret'",
                "GRANT ALL ON app.* TO 'alice'@'%'");
        proxy = TestProxy.builder().backend(DB.server().address())
                .script(script, new ScriptingOptions(2, true, 1_000_000, 2_000, false)).start();
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    private static Connection connect() throws SQLException {
        return DriverManager.getConnection(proxy.mariadbUrl("app", ""), "alice", "secret");
    }

    private static String single(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    @Test
    void scriptAnswersWithAResultSetAndOtherQueriesPassThrough() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT 'mock'")) {
                assertThat(rs.getMetaData().getColumnName(1)).isEqualTo("answer");
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("from lua");
                assertThat(rs.getInt(2)).isEqualTo(1);
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isNull();
                assertThat(rs.next()).isFalse();
            }
            assertThat(single(s, "SELECT 40 + 2")).isEqualTo("42");
        }
    }

    @Test
    void anEmptyPacketGetsUnknownCommandAndTheSessionGoesOn() {
        // found by SessionFuzzTest: an empty command packet made the scripted relay throw
        try (RawClient c = RawClient.login(proxy.port(), "alice", "secret",
                RawClient.DEFAULT_CAPS)) {
            c.writeRaw(RawClient.frame(0, new byte[0]));
            ErrPacket err = RawClient.error(c.readPacket());
            assertThat(err.errorCode()).isEqualTo(1047);
            c.command(Commands.COM_PING, "");
            assertThat(c.readPacket()[0]).isEqualTo((byte) Packets.OK);
        }
    }

    @Test
    void thousandsOfPipelinedCommandsAnsweredByTheScriptAreAllAnswered() throws Exception {
        // a command its hook answers ends at once on the connection's own thread: the next one must not nest in it
        int commands = 50_000;
        byte[] deny = ((char) Commands.COM_QUERY + "SELECT 'deny'")
                .getBytes(StandardCharsets.ISO_8859_1);
        try (RawClient c = RawClient.login(proxy.port(), "alice", "secret",
                RawClient.DEFAULT_CAPS)) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (int i = 0; i < commands; i++) {
                all.writeBytes(RawClient.frame(0, deny));
            }
            CompletableFuture<Void> writing = CompletableFuture.runAsync(
                    () -> c.writeRaw(all.toByteArray()));
            for (int i = 0; i < commands; i++) {
                assertThat(RawClient.error(c.readPacket()).errorCode()).as("reply %d", i)
                        .isEqualTo(1142);
            }
            writing.get(10, TimeUnit.SECONDS);
            c.command(Commands.COM_QUERY, "SELECT 'after'"); // the server answers this one
            List<byte[]> result = c.readResult();
            assertThat(new String(result.get(result.size() - 2), StandardCharsets.ISO_8859_1))
                    .endsWith("after");
        }
    }

    @Test
    void aClientThatDoesNotReadItsResultsStopsTheCommandsItPipelinedAhead() throws Exception {
        // 200 commands of 1 MB results each, sent at once and not read: the proxy answers as many as the sockets
        // hold and then waits for the client, instead of building all 200 results in its memory
        int commands = 200;
        try (RawClient c = RawClient.login(proxy.port(), "alice", "secret",
                RawClient.DEFAULT_CAPS);
             Connection other = connect(); Statement s = other.createStatement()) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            byte[] big = ((char) Commands.COM_QUERY + "SELECT big")
                    .getBytes(StandardCharsets.ISO_8859_1);
            for (int i = 0; i < commands; i++) {
                all.writeBytes(RawClient.frame(0, big));
            }
            int before = Integer.parseInt(single(s, "SELECT big_answered"));
            c.writeRaw(all.toByteArray());
            Thread.sleep(2000);
            int whileUnread = Integer.parseInt(single(s, "SELECT big_answered")) - before;
            assertThat(whileUnread).isBetween(1, commands / 2);
            for (int i = 0; i < commands; i++) {
                assertThat(c.readResult()).as("result %d", i).hasSize(1 + 1 + 1 + 1000 + 1);
            }
            assertThat(Integer.parseInt(single(s, "SELECT big_answered")) - before).isEqualTo(commands);
        }
    }

    @Test
    void responsesTheHookLetsThroughArriveWholeLargeRowsAndLocalFilesIncluded(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("rows.csv");
        Files.writeString(file, "a\nb\nc\n".repeat(1000));
        try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("app", "allowLocalInfile=true"), "alice",
                "secret"); Statement s = c.createStatement()) {
            int length = 20 * 1024 * 1024 + 7; // a row of more than one 16 MiB frame
            try (ResultSet rs = s.executeQuery("SELECT REPEAT('x', " + length + "), 'after'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).hasSize(length).matches("x+");
                assertThat(rs.getString(2)).isEqualTo("after");
            }
            s.execute("CREATE TEMPORARY TABLE loaded (v VARCHAR(8))");
            assertThat(s.executeUpdate("LOAD DATA LOCAL INFILE '" + file + "' INTO TABLE loaded")).isEqualTo(3000);
            assertThat(single(s, "SELECT COUNT(DISTINCT v) FROM loaded")).isEqualTo("3");
            assertThat(single(s, "SELECT 'mock'")).isEqualTo("from lua"); // and the hook still answers
        }
    }

    @Test
    void scriptErrorPacket() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeQuery("SELECT 'deny'")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("denied by script")
                    .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(1142));
            assertThat(single(s, "SELECT 1")).isEqualTo("1");
        }
    }

    @Test
    void injectedQueriesWithRewrittenAndIgnoredResults() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            assertThat(single(s, "SELECT upper:'hello world'")).isEqualTo("HELLO WORLD");
            assertThat(single(s, "SELECT upper:'again'")).isEqualTo("AGAIN");
        }
    }

    @Test
    void injectedQueryTimingIsMeasured() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            assertThat(single(s, "SELECT timed")).isEqualTo("0");
            try (ResultSet rs = s.executeQuery("SELECT count")) {
                rs.next();
            }
        }
    }

    @Test
    void connectionAndBackendsAreVisible() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            int seen;
            try (ResultSet rs = s.executeQuery("SELECT who")) {
                rs.next();
                seen = rs.getInt("seen");
            }
            single(s, "SELECT 1");
            try (ResultSet rs = s.executeQuery("SELECT who")) {
                rs.next();
                assertThat(rs.getString("user")).isEqualTo("alice");
                assertThat(rs.getString("db")).isEqualTo("app");
                assertThat(rs.getInt("version")).isGreaterThan(100000);
                assertThat(rs.getInt("backends")).isEqualTo(1);
                assertThat(rs.getString("client")).isEqualTo("127.0.0.1");
                assertThat(rs.getInt("seen")).isEqualTo(seen + 2); // a per-connection local of the script
            }
            s.execute("USE information_schema");
            try (ResultSet rs = s.executeQuery("SELECT who")) {
                rs.next();
                assertThat(rs.getString("db")).isEqualTo("information_schema");
            }
            assertThatThrownBy(() -> s.execute("USE mysql")).hasMessageContaining("Access denied");
            try (ResultSet rs = s.executeQuery("SELECT who")) {
                rs.next();
                assertThat(rs.getString("db")).isEqualTo("information_schema");
            }
            c.setCatalog("app"); // COM_INIT_DB
            try (ResultSet rs = s.executeQuery("SELECT who")) {
                rs.next();
                assertThat(rs.getString("db")).isEqualTo("app");
            }
        }
    }

    @Test
    void sandboxDeniesWhatReachesTheJvmFilesOrProcesses() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            assertThat(single(s, "SELECT sandbox")).isEqualTo("io=nil luajava=nil dofile=nil loadfile=nil "
                    + "debug=nil os.execute=nil string.dump=nil os.time=function version=Lua 5.1 bytecode=false");
        }
    }

    @Test
    void runtimeErrorAndEndlessLoopGiveAnErrorAndTheSessionGoesOn() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeQuery("SELECT boom")).hasMessageContaining("Lua error in read_query")
                    .hasMessageContaining("exploded on purpose").hasMessageContaining("main.lua:58");
            assertThatThrownBy(() -> s.executeQuery("SELECT forever")).hasMessageContaining("script interrupted");
            assertThat(single(s, "SELECT 'alive'")).isEqualTo("alive");
        }
    }

    @Test
    void globalCountersAreSharedAcrossConnectionsAndThreads() throws Exception {
        int before;
        try (Connection c = connect(); Statement s = c.createStatement()) {
            before = Integer.parseInt(single(s, "SELECT count"));
        }
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                try (Connection c = connect(); Statement s = c.createStatement()) {
                    for (int i = 0; i < 50; i++) {
                        single(s, "SELECT count");
                    }
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        try (Connection c = connect(); Statement s = c.createStatement()) {
            assertThat(Integer.parseInt(single(s, "SELECT count"))).isEqualTo(before + 201);
        }
    }

    @Test
    void preparedStatementsPassThroughAScriptedConnection() throws SQLException {
        try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("app", "useServerPrepStmts=true"), "alice",
                "secret"); PreparedStatement ps = c.prepareStatement("SELECT ? + 1")) {
            for (int i = 0; i < 5; i++) {
                ps.setInt(1, i);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(i + 1);
                }
            }
        }
    }
}
