package io.mysqlproxy.core;

import io.mysqlproxy.config.MultiplexingConfig;
import io.mysqlproxy.config.PoolConfig;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The connection limit of a multiplexing pool when a login is greeted with a pooled connection whose capabilities
 * its client does not share: the login must open a connection of its own (and have its client answer that one's
 * scramble). At the limit, the connection that did not fit is closed to make room, unless its user's clients would
 * be left with none — otherwise every such login would add a connection beyond the limit.
 */
class MultiplexingLimitTest {
    private final IdlePool pool = new IdlePool("test",
            new PoolConfig(0, 0, 60_000, new MultiplexingConfig(true, Set.of(), 2, 1_000)));

    private PooledConnection open(String user) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(BackendHandler.NAME, new BackendHandler(null));
        pool.opened(channel);
        PooledConnection idle = new PooledConnection(channel, null, user, 0, new ConnectionState(45, null));
        pool.sessionStarted(idle); // a client logged in on it and holds it
        return idle;
    }

    @Test
    void atTheLimitAConnectionThatDidNotFitALoginMakesRoom() {
        assertThat(pool.reserve()).isTrue();
        PooledConnection first = open("app");
        assertThat(pool.reserve()).isTrue();
        open("app");
        assertThat(pool.reserve()).isFalse(); // at the limit
        pool.giveBack(first);
        PooledConnection greeted = pool.take(first.channel().eventLoop()); // a login was greeted with it
        assertThat(greeted).isSameAs(first);
        assertThat(pool.crowdedWithout(greeted)).isTrue();
        IdlePool.discard(greeted);
        assertThat(pool.openConnections()).isEqualTo(1);
        assertThat(pool.reserve()).as("room for the login's own connection").isTrue();
    }

    @Test
    void aUsersLastConnectionIsNotClosedForIt() {
        pool.reserve();
        open("app");
        pool.reserve();
        PooledConnection only = open("report");
        pool.giveBack(only);
        PooledConnection greeted = pool.take(only.channel().eventLoop());
        assertThat(greeted).isNull(); // a login does not take a user's last connection while it has clients
        assertThat(pool.crowdedWithout(only)).as("the proxy could not open another for its clients").isFalse();
    }

    @Test
    void belowTheLimitItGoesBackToThePool() {
        pool.reserve();
        PooledConnection first = open("app");
        pool.giveBack(first);
        pool.sessionEnded("app"); // its client left: any login may take it
        PooledConnection greeted = pool.take(first.channel().eventLoop());
        assertThat(greeted).isSameAs(first);
        assertThat(pool.crowdedWithout(greeted)).isFalse();
        assertThat(pool.ledgerMismatches()).isZero();
    }
}
