package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Commands;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bytes of a client's COM_STMT_EXECUTE as each connection gets them: unchanged on the primary that prepared the
 * statement, with the copy's id on a replica, and with the parameter types inserted wherever they were not sent yet.
 */
class PreparedStatementsTest {
    private static final int UTF8MB4 = 45;
    private final PooledConnection primary = connection();
    private final PooledConnection replica = connection();
    private final PreparedStatements statements = new PreparedStatements();

    private static PooledConnection connection() {
        return new PooledConnection(new EmbeddedChannel(), null, "app", 0, new ConnectionState(UTF8MB4, "shop"));
    }

    /** A framed COM_STMT_EXECUTE of statement {@code id} with two parameters, types sent or not, values 1 and 'x'. */
    private static ByteBuf execute(long id, boolean withTypes) {
        ByteBuf payload = Unpooled.buffer().writeByte(Commands.COM_STMT_EXECUTE).writeIntLE((int) id).writeByte(0)
                .writeIntLE(1).writeByte(0).writeByte(withTypes ? 1 : 0);
        if (withTypes) {
            payload.writeShortLE(0x08).writeShortLE(0xfd); // LONGLONG, VAR_STRING
        }
        payload.writeLongLE(1).writeByte(1).writeByte('x');
        ByteBuf framed = Unpooled.buffer().writeMediumLE(payload.readableBytes()).writeByte(0).writeBytes(payload);
        payload.release();
        return framed;
    }

    private String sent(ByteBuf framed, PooledConnection to) {
        ByteBuf out = statements.toServer(framed, to, c -> true);
        String hex = ByteBufUtil.hexDump(out);
        out.release();
        return hex;
    }

    private static String hex(ByteBuf framed) {
        String hex = ByteBufUtil.hexDump(framed);
        framed.release();
        return hex;
    }

    @Test
    void eachConnectionGetsItsOwnIdAndTheTypesItHasNotSeen() {
        statements.prepared(primary, 1, 2, "SELECT ?, ?");
        PreparedStatements.Statement statement = statements.get(1);
        assertThat(statement.replicaSafe(0)).isTrue();
        assertThat(sent(execute(1, true), primary)).isEqualTo(hex(execute(1, true)));
        statements.copied(statement, replica, 9);
        // the replica never saw the types: they come with its first execution
        assertThat(sent(execute(1, false), replica)).isEqualTo(hex(execute(9, true)));
        assertThat(sent(execute(1, false), replica)).isEqualTo(hex(execute(9, false)));
        assertThat(sent(execute(1, false), primary)).isEqualTo(hex(execute(1, false)));
        // types sent anew to the replica: the primary has the old ones, and gets these with its next execution
        assertThat(sent(execute(1, true), replica)).isEqualTo(hex(execute(9, true)));
        assertThat(sent(execute(1, false), primary)).isEqualTo(hex(execute(1, true)));
        assertThat(sent(execute(1, false), primary)).isEqualTo(hex(execute(1, false)));
    }

    @Test
    void theLastPreparedStatementIsTheOneMariaDbClientsExecuteByMinusOne() {
        statements.prepared(primary, 4, 2, "SELECT ?, ?");
        assertThat(statements.get(PreparedStatements.LAST_PREPARED)).isSameAs(statements.get(4));
        statements.copied(statements.get(4), replica, 12);
        assertThat(sent(execute(PreparedStatements.LAST_PREPARED, true), replica)).isEqualTo(hex(execute(12, true)));
        statements.prepareFailed();
        assertThat(statements.get(PreparedStatements.LAST_PREPARED)).isNull();
    }

    @Test
    void writesLockingReadsAndCursorsStayWithThePrimary() {
        statements.prepared(primary, 1, 1, "INSERT INTO t VALUES (?)");
        statements.prepared(primary, 2, 1, "SELECT a FROM t WHERE b = ? FOR UPDATE");
        statements.prepared(primary, 3, 1, "SELECT a FROM t WHERE b = ?");
        assertThat(statements.get(1).replicaSafe(0)).isFalse();
        assertThat(statements.get(2).replicaSafe(0)).isFalse();
        assertThat(statements.get(3).replicaSafe(0)).isTrue();
        assertThat(statements.get(3).replicaSafe(1)).as("with a read-only cursor").isFalse();
    }

    @Test
    void anExecutionTooShortToReadGoesAsItCameAndTheServerAnswersIt() {
        statements.prepared(primary, 1, 2, "SELECT ?, ?");
        statements.copied(statements.get(1), replica, 9);
        ByteBuf truncated = Unpooled.buffer().writeMediumLE(5).writeByte(0).writeByte(Commands.COM_STMT_EXECUTE)
                .writeIntLE(1);
        String hex = ByteBufUtil.hexDump(truncated);
        assertThat(sent(truncated, replica)).isEqualTo(hex);
    }

    /** A replica's refusal keeps a read on the primary; it is still a read (its executions change no data). */
    @Test
    void aStatementAReplicaRefusedStaysAReadOnThePrimary() {
        statements.prepared(primary, 1, 1, "SELECT a FROM t WHERE b = ?");
        statements.refusedByReplica(statements.get(1));
        assertThat(statements.get(1).replicaSafe(0)).isFalse();
        assertThat(statements.get(1).readOnly()).isTrue();
    }

    @Test
    void aStatementsIdsMeanNothingOnAnotherConnectionOfThePrimary() {
        assertThat(statements.ownerLost(replica)).as("no statement yet").isFalse();
        statements.prepared(primary, 1, 0, "SELECT 1");
        assertThat(statements.ownerLost(primary)).isFalse();
        assertThat(statements.ownerLost(replica)).isTrue();
    }
}
