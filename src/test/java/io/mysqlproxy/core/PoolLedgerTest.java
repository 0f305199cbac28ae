package io.mysqlproxy.core;

import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The pool's counts cannot drift: a call that does not match them is ignored and counted, never applied. */
class PoolLedgerTest {
    @Test
    void reservationsStopAtTheLimitAndReleasingMoreThanWasReservedChangesNothing() {
        PoolLedger ledger = new PoolLedger("db:3306");
        assertThat(ledger.reserve(2)).isTrue();
        assertThat(ledger.reserve(2)).isTrue();
        assertThat(ledger.reserve(2)).isFalse();
        ledger.reserveBeyondLimit();
        assertThat(ledger.open()).isEqualTo(3);
        for (int i = 0; i < 4; i++) {
            ledger.released();
        }
        assertThat(ledger.open()).isZero();
        assertThat(ledger.mismatches()).isEqualTo(1);
        assertThat(ledger.reserve(0)).isTrue(); // 0: no limit
    }

    @Test
    void connectionsAreLentByIdentitySoGivingOneBackTwiceIsCaught() {
        PoolLedger ledger = new PoolLedger("db:3306");
        Channel a = new EmbeddedChannel();
        Channel b = new EmbeddedChannel();
        ledger.lend("app", a);
        ledger.lend("app", b);
        ledger.lend("app", b);
        assertThat(ledger.lent("app")).isEqualTo(2);
        assertThat(ledger.mismatches()).isEqualTo(1);

        assertThat(ledger.returned("app", a)).isTrue();
        assertThat(ledger.returned("app", a)).isFalse(); // given back, then reported lost: once only
        assertThat(ledger.returned("other", b)).isFalse();
        assertThat(ledger.lent("app")).isEqualTo(1);
        assertThat(ledger.lent()).isEqualTo(1);
        assertThat(ledger.mismatches()).isEqualTo(3);

        assertThat(ledger.returned("app", b)).isTrue();
        assertThat(ledger.lent("app")).isZero();
        assertThat(ledger.lent()).isZero();
    }
}
