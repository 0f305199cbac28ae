package io.mysqlproxy.core;

import io.mysqlproxy.config.MultiplexingConfig;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.config.RoutingConfig;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.BeforeAll;

import java.util.Set;

/** Every splitting test again with multiplexing on: reads and writes borrow from the backends' pools. */
class ReadWriteSplitMultiplexedTest extends ReadWriteSplitTest {
    @BeforeAll
    static void multiplexed() {
        proxy.close();
        multiplexed = true;
        proxy = TestProxy.builder().backend(DB.server(0).address()).readOnlyBackend(DB.server(1).address())
                .routing(new RoutingConfig(RoutingConfig.Mode.READ_WRITE_SPLIT, -1))
                .pool(new PoolConfig(0, 0, 60_000, new MultiplexingConfig(true, Set.of(), 200, 10_000)))
                .admin("admin", "admin-pw", null, 5).start();
    }
}
