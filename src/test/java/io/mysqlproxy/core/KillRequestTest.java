package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.protocol.PacketFramer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which commands of a multiplexed client are KILLs the proxy answers, read from the framed command. */
class KillRequestTest {
    @Test
    void killStatementsOfAThreadIdInEveryFormTheServerAccepts() {
        assertThat(parse("KILL 1073741829")).isEqualTo(new KillRequest(1073741829L, false));
        assertThat(parse("kill connection 17;")).isEqualTo(new KillRequest(17, false));
        assertThat(parse("KILL HARD QUERY 17")).isEqualTo(new KillRequest(17, true));
        assertThat(parse("KILL SOFT CONNECTION 17")).isEqualTo(new KillRequest(17, false));
        assertThat(parse("  KILL /* why */ QUERY 17")).isEqualTo(new KillRequest(17, true));
    }

    @Test
    void comProcessKillCarriesItsThreadIdAsFourBytes() {
        ByteBuf framed = framed(new byte[] {(byte) Commands.COM_PROCESS_KILL, 0x05, 0x00, 0x00, 0x40});
        assertThat(KillRequest.startsWithKill(framed)).isTrue();
        assertThat(KillRequest.parse(framed, 0, 5)).isEqualTo(new KillRequest(0x4000_0005L, false));
        framed.release();
    }

    @Test
    void killsTheServerAnswersAndOtherStatementsAreNotTheProxys() {
        assertThat(parse("KILL USER app")).isNull();
        assertThat(parse("KILL QUERY ID 17")).isNull();
        assertThat(parse("KILL 17, 18")).isNull();
        assertThat(parse("KILL")).isNull();
        assertThat(parse("KILLALL 17")).isNull();
        assertThat(parse("SELECT 'KILL 17'")).isNull();
    }

    @Test
    void aCommandIsRecognisedAsAKillFromItsFirstBytes() {
        ByteBuf partial = Unpooled.wrappedBuffer(new byte[] {100, 0, 0, 0, (byte) Commands.COM_QUERY, 'K', 'i',
                'l', 'l', ' '});
        assertThat(KillRequest.startsWithKill(partial)).isTrue();
        ByteBuf select = framed(Commands.payloadBytes(Commands.COM_QUERY, "select 1"));
        assertThat(KillRequest.startsWithKill(select)).isFalse();
        select.release();
    }

    private static KillRequest parse(String sql) {
        ByteBuf framed = framed(Commands.payloadBytes(Commands.COM_QUERY, sql));
        try {
            return KillRequest.parse(framed, 0, framed.getUnsignedMediumLE(0));
        } finally {
            framed.release();
        }
    }

    private static ByteBuf framed(byte[] payload) {
        return PacketFramer.frame(ByteBufAllocator.DEFAULT, 0, Unpooled.wrappedBuffer(payload));
    }
}
