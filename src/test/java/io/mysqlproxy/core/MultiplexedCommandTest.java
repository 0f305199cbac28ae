package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.PacketFramer;
import io.mysqlproxy.sql.PinReason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** One multiplexed command: what it does to the client's session, and what that leaves on its connection. */
class MultiplexedCommandTest {
    private final SessionMirror mirror = new SessionMirror();
    private final ConnectionState connection = new ConnectionState(45, null);

    @Test
    void aReplayableSetIsNotedOnTheSessionAndItsConnection() {
        MultiplexedCommand set = inspected(Commands.COM_QUERY, "SET NAMES utf8mb4", null);
        assertThat(set.carriedOver()).isTrue();
        assertThat(set.appliedTo(mirror, connection)).isTrue();
        assertThat(mirror.sets()).containsExactly("SET NAMES utf8mb4");
        assertThat(connection.sets).containsExactly("SET NAMES utf8mb4");
    }

    @Test
    void useAndInitDbSelectTheDatabaseOfBoth() {
        inspected(Commands.COM_QUERY, "USE `shop`", null).appliedTo(mirror, connection);
        assertThat(mirror.database()).isEqualTo("shop");
        assertThat(connection.database).isEqualTo("shop");
        MultiplexedCommand initDb = inspected(Commands.COM_INIT_DB, "billing", null);
        assertThat(initDb.carriedOver()).isTrue();
        initDb.appliedTo(mirror, connection);
        assertThat(mirror.database()).isEqualTo("billing");
        assertThat(connection.database).isEqualTo("billing");
    }

    @Test
    void aResetForgetsTheSetsOfBoth() {
        inspected(Commands.COM_QUERY, "SET NAMES latin1", null).appliedTo(mirror, connection);
        mirror.lastInsertId(7);
        connection.lastInsertId = 7;
        inspected(Commands.COM_RESET_CONNECTION, null, null).appliedTo(mirror, connection);
        assertThat(mirror.sets()).isEmpty();
        assertThat(mirror.lastInsertId()).isZero();
        assertThat(connection.sets).isEmpty();
        assertThat(connection.lastInsertId).isZero();
    }

    @Test
    void aSetBeyondWhatIsReplayedAsksForAPin() {
        for (int i = 0; i < SessionMirror.MAX_REPLAYED_SETS; i++) {
            assertThat(inspected(Commands.COM_QUERY, "SET sql_mode = 'MODE" + i + "'", null)
                    .appliedTo(mirror, connection)).isTrue();
        }
        assertThat(inspected(Commands.COM_QUERY, "SET sql_mode = 'ONE_TOO_MANY'", null)
                .appliedTo(mirror, connection)).isFalse();
        assertThat(mirror.sets()).hasSize(SessionMirror.MAX_REPLAYED_SETS)
                .doesNotContain("SET sql_mode = 'ONE_TOO_MANY'");
    }

    @Test
    void statementsWithStateTheProxyCannotCarryPinAndChangeNothing() {
        inspected(Commands.COM_QUERY, "SET @a = 1", PinReason.USER_VARIABLE).appliedTo(mirror, connection);
        inspected(Commands.COM_STMT_PREPARE, "SELECT ?", PinReason.PREPARED_STATEMENT);
        inspected(Commands.COM_BINLOG_DUMP, "", PinReason.COMMAND);
        assertThat(inspected(Commands.COM_QUERY, "SELECT 1", null).carriedOver()).isFalse();
        assertThat(mirror.sets()).isEmpty();
        assertThat(connection.sets).isEmpty();
    }

    @Test
    void aCommandTooLongOrNotAtTheStartOfAnExchangeIsNotReadAndPins() {
        ByteBuf framed = framed(Commands.COM_QUERY, "USE shop");
        MultiplexedCommand unread = new MultiplexedCommand(Commands.COM_QUERY, false);
        assertThat(unread.inspect(framed, 0, framed.getUnsignedMediumLE(0), false, null)).isEqualTo(PinReason.UNINSPECTED);
        framed.release();
        unread.appliedTo(mirror, connection);
        assertThat(mirror.database()).isNull();
    }

    private MultiplexedCommand inspected(int code, String text, PinReason pin) {
        ByteBuf framed = framed(code, text);
        MultiplexedCommand command = new MultiplexedCommand(code, false);
        assertThat(command.inspect(framed, 0, framed.getUnsignedMediumLE(0), true, null)).as(text).isEqualTo(pin);
        framed.release();
        return command;
    }

    private static ByteBuf framed(int code, String text) {
        return PacketFramer.frame(UnpooledByteBufAllocator.DEFAULT, 0,
                Unpooled.wrappedBuffer(Commands.payloadBytes(code, text)));
    }
}
