package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.scripting.InjectionRequest;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A client's command while a script handles it: its injections, its one result, a close the script asked for. */
class ScriptedCommandTest {
    private final EmbeddedChannel client = new EmbeddedChannel();

    @Test
    void theScriptsQueueReplacesWhatWasQueuedAndRunsInOrder() {
        ScriptedCommand command = new ScriptedCommand(0);
        command.inject(List.of(query(1, "SELECT 1"), query(2, "SELECT 2")));
        assertThat(command.nextInjection().id()).isEqualTo(1);
        command.inject(List.of(query(3, "SELECT 3"), query(4, "SELECT 4")));
        assertThat(command.remaining()).extracting(InjectionRequest::id).containsExactly(3, 4);
        assertThat(command.nextInjection().id()).isEqualTo(3);
        command.dropInjections();
        assertThat(command.nextInjection()).isNull();
    }

    @Test
    void theResultFollowsTheCommandsLastPacket() {
        ScriptedCommand command = new ScriptedCommand(2); // a command sent in three packets
        assertThat(command.answered()).isFalse();
        command.fail(client, "no");
        assertThat(command.answered()).isTrue();
        ByteBuf error = client.readOutbound();
        assertThat((int) error.getUnsignedByte(3)).as("sequence id").isEqualTo(3);
        assertThat((int) error.getUnsignedByte(4)).isEqualTo(0xFF);
        error.release();
    }

    @Test
    void aCloseAskedForByOneHookStaysAskedFor() {
        ScriptedCommand command = new ScriptedCommand(0);
        command.closeAfter(true);
        command.closeAfter(false);
        assertThat(command.closesSession()).isTrue();
    }

    private static InjectionRequest query(int id, String sql) {
        return new InjectionRequest(id, Commands.payloadBytes(Commands.COM_QUERY, sql), false);
    }
}
