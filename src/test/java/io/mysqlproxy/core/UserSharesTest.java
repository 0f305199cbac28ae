package io.mysqlproxy.core;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The multiplexing shares of a pool: clients per user, and which waiting statement an idle connection goes to. */
class UserSharesTest {
    static final int UTF8MB4 = 45;
    final UserShares shares = new UserShares();

    @Test
    void aUsersShareLastsWhileItHasClientsOrHoldsConnections() {
        shares.joined("app");
        shares.joined("app");
        shares.joined("report");
        assertThat(shares.clients()).isEqualTo(3);
        assertThat(shares.clients("app")).isEqualTo(2);

        shares.left("app", false);
        assertThat(shares.active("app")).isTrue();
        shares.left("app", true);
        assertThat(shares.active("app")).as("no client left").isFalse();
        assertThat(shares.has("app")).as("a connection is still lent: the share stays").isTrue();

        shares.left("report", false);
        assertThat(shares.has("report")).isFalse();
        assertThat(shares.users()).containsExactly("app");
    }

    @Test
    void anIdleConnectionGoesToTheFirstWaitingStatementOfItsUserThatItFits() {
        shares.joined("app");
        IdlePool.Waiter inOtherDb = waiter("app", "sales");
        IdlePool.Waiter anyDb = waiter("app", null);
        assertThat(shares.queue(anyDb)).isTrue();
        assertThat(shares.queue(inOtherDb)).isTrue();
        assertThat(shares.waiting("app")).isEqualTo(2);

        PooledConnection withDatabase = idle("app", "hr");
        assertThat(shares.firstSuitedBy(withDatabase, i -> true))
                .as("passes over a statement without a default database: it cannot run where one is selected")
                .isSameAs(inOtherDb);
        assertThat(shares.firstSuitedBy(idle("app", null), i -> false))
                .as("nothing when the connection cannot be used (it needs a reset the server cannot do)").isNull();
        assertThat(shares.firstSuitedBy(idle("app", null), i -> true)).isSameAs(anyDb);
        assertThat(shares.waiting("app")).isZero();
    }

    @Test
    void onlyUsersWithClientsHereMayWaitAndAWaiterCanGiveUpOnce() {
        IdlePool.Waiter stranger = waiter("nobody", null);
        assertThat(shares.queue(stranger)).isFalse();
        assertThat(shares.firstSuitedBy(idle("nobody", null), i -> true)).isNull();

        shares.joined("app");
        IdlePool.Waiter w = waiter("app", null);
        shares.queue(w);
        assertThat(shares.cancel(w)).isTrue();
        assertThat(shares.cancel(w)).as("already gone").isFalse();
        assertThat(shares.firstSuitedBy(idle("app", null), i -> true)).isNull();
    }

    private static IdlePool.Waiter waiter(String user, String database) {
        return new IdlePool.Waiter(new IdlePool.Wanted(user, 0, UTF8MB4, database, null), idle -> { });
    }

    private static PooledConnection idle(String user, String database) {
        return new PooledConnection(new EmbeddedChannel(), null, user, 0, new ConnectionState(UTF8MB4, database));
    }
}
