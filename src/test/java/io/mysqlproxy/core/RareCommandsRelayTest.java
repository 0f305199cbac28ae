package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.Packets;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.RawClient;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Commands that drivers rarely send, sent as raw packets through the proxy. */
class RareCommandsRelayTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();
    static TestProxy proxy;

    @BeforeAll
    static void start() {
        DB.server().execute("CREATE DATABASE app", "CREATE TABLE app.t (id INT, name VARCHAR(10))",
                "CREATE USER 'bob'@'%' IDENTIFIED BY 'pw'", "GRANT ALL ON *.* TO 'bob'@'%'");
        proxy = TestProxy.to(DB.server());
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    private RawClient login() {
        return RawClient.login(proxy.port(), "bob", "pw", RawClient.DEFAULT_CAPS);
    }

    @Test
    void fieldListReturnsColumnDefinitionsUntilEof() {
        try (RawClient c = login()) {
            c.command(Commands.COM_INIT_DB, "app");
            assertThat(c.readPacket()[0]).isEqualTo((byte) Packets.OK);
            c.command(Commands.COM_FIELD_LIST, "t\0");
            byte[] id = c.readPacket();
            byte[] name = c.readPacket();
            byte[] eof = c.readPacket();
            assertThat(new String(id, StandardCharsets.ISO_8859_1)).contains("id");
            assertThat(new String(name, StandardCharsets.ISO_8859_1)).contains("name");
            assertThat(eof[0]).isEqualTo((byte) Packets.EOF);
            assertPingWorks(c);
        }
    }

    @Test
    void statisticsIsABareString() {
        try (RawClient c = login()) {
            c.command(Commands.COM_STATISTICS, "");
            assertThat(new String(c.readPacket(), StandardCharsets.US_ASCII)).startsWith("Uptime: ");
            assertPingWorks(c);
        }
    }

    @Test
    void setOptionTogglesMultiStatements() {
        try (RawClient c = login()) {
            c.command(Commands.COM_SET_OPTION, new byte[] {1, 0}); // MYSQL_OPTION_MULTI_STATEMENTS_OFF
            assertThat(c.readPacket()[0] & 0xFF).isIn(Packets.OK, Packets.EOF);
            c.command(Commands.COM_QUERY, "SELECT 1; SELECT 2");
            assertThat(RawClient.error(c.readPacket()).errorCode()).isEqualTo(1064);
            assertPingWorks(c);
        }
    }

    @Test
    void processKillEndsAnotherSession() {
        try (RawClient victim = login(); RawClient killer = login()) {
            victim.command(Commands.COM_QUERY, "SELECT CONNECTION_ID()");
            List<byte[]> result = victim.readResult();
            String row = new String(result.get(3), StandardCharsets.US_ASCII).substring(1);
            int id = Integer.parseInt(row);
            byte[] arg = {(byte) id, (byte) (id >> 8), (byte) (id >> 16), (byte) (id >> 24)};
            killer.command(Commands.COM_PROCESS_KILL, arg);
            assertThat(killer.readPacket()[0]).isEqualTo((byte) Packets.OK);
            assertThat(victim.closedByPeer()).isTrue();
            assertPingWorks(killer);
        }
    }

    @Test
    void unknownCommandGetsTheServersErrorAndTheSessionGoesOn() {
        try (RawClient c = login()) {
            c.command(0x2A, "whatever");
            assertThat(RawClient.error(c.readPacket()).errorCode()).isEqualTo(1047); // ER_UNKNOWN_COM_ERROR
            assertPingWorks(c);
        }
    }

    @Test
    void pipelinedCommandsGetTheirResponsesInOrder() {
        try (RawClient c = login()) {
            byte[] ping = {0x01, 0, 0, 0, (byte) Commands.COM_PING};
            byte[] query = "\u0003SELECT 'second'".getBytes(StandardCharsets.ISO_8859_1);
            byte[] framed = new byte[query.length + 4];
            framed[0] = (byte) query.length;
            System.arraycopy(query, 0, framed, 4, query.length);
            byte[] both = new byte[ping.length + framed.length + ping.length];
            System.arraycopy(ping, 0, both, 0, ping.length);
            System.arraycopy(framed, 0, both, ping.length, framed.length);
            System.arraycopy(ping, 0, both, ping.length + framed.length, ping.length);
            c.writeRaw(both);
            assertThat(c.readPacket()[0]).isEqualTo((byte) Packets.OK);
            List<byte[]> result = c.readResult();
            assertThat(new String(result.get(3), StandardCharsets.US_ASCII)).endsWith("second");
            assertThat(c.readPacket()[0]).isEqualTo((byte) Packets.OK);
        }
    }

    @Test
    void stmtCloseGetsNoReply() {
        try (RawClient c = login()) {
            c.command(Commands.COM_STMT_PREPARE, "SELECT ?");
            byte[] ok = c.readPacket();
            assertThat(ok[0]).isEqualTo((byte) Packets.OK);
            c.readPacket(); // parameter definition
            c.readPacket(); // EOF
            c.readPacket(); // column definition
            c.readPacket(); // EOF
            c.command(Commands.COM_STMT_CLOSE, new byte[] {ok[1], ok[2], ok[3], ok[4]});
            assertPingWorks(c);
        }
    }

    @Test
    void quitClosesBothSides() {
        try (RawClient c = login()) {
            c.command(Commands.COM_QUIT, "");
            assertThat(c.closedByPeer()).isTrue();
        }
    }

    static void assertPingWorks(RawClient c) {
        c.command(Commands.COM_PING, "");
        assertThat(c.readPacket()[0]).isEqualTo((byte) Packets.OK);
    }
}
