package io.mysqlproxy.core;

import io.mysqlproxy.backend.BackendConfig;
import io.mysqlproxy.backend.BackendRole;
import io.mysqlproxy.backend.SelectionPolicy;
import io.mysqlproxy.config.ClientTls;
import io.mysqlproxy.config.HostPort;
import io.mysqlproxy.config.Limits;
import io.mysqlproxy.config.ListenerConfig;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Shutdown while clients keep sending: every statement either completes or gets a clear error, none hangs. */
class GracefulShutdownTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();

    @Test
    void underLoadEveryStatementCompletesOrGetsAnError() throws Exception {
        TestProxy proxy = TestProxy.builder().backend(DB.server().address())
                .limits(l -> new Limits(2_000, 10_000, 28_800_000, 28_800_000, 28_800_000, 1 << 24, 3_000)).start();
        String url = proxy.mariadbUrl("", "");
        AtomicInteger completed = new AtomicInteger();
        AtomicInteger completedDuringShutdown = new AtomicInteger();
        ConcurrentLinkedQueue<SQLException> errors = new ConcurrentLinkedQueue<>();
        long[] shutdownAt = {Long.MAX_VALUE};
        ExecutorService clients = Executors.newFixedThreadPool(8);
        List<Future<?>> running = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            boolean slow = i % 2 == 0;
            running.add(clients.submit(() -> {
                try (Connection c = DriverManager.getConnection(url, "root", ""); Statement s = c.createStatement()) {
                    while (true) {
                        try (ResultSet rs = s.executeQuery(slow ? "SELECT SLEEP(0.3)" : "SELECT 1")) {
                            rs.next();
                            completed.incrementAndGet();
                            if (System.nanoTime() > shutdownAt[0]) {
                                completedDuringShutdown.incrementAndGet();
                            }
                        }
                    }
                } catch (SQLException e) {
                    errors.add(e); // the one way a client may learn of the shutdown
                }
                return null;
            }));
        }
        Thread.sleep(1_000);
        shutdownAt[0] = System.nanoTime();
        proxy.server().shutdown(3_000);
        clients.shutdown();
        assertThat(clients.awaitTermination(10, TimeUnit.SECONDS)).as("no client left waiting for an answer").isTrue();
        for (Future<?> f : running) {
            f.get();
        }
        assertThat(completed.get()).isGreaterThan(8);
        assertThat(completedDuringShutdown.get()).as("statements running at shutdown finished").isPositive();
        assertThat(errors).hasSize(8).allSatisfy(e -> assertThat(e.getErrorCode() == 1053
                || e.getSQLState() != null && e.getSQLState().startsWith("08"))
                .as("%s %s %s", e.getErrorCode(), e.getSQLState(), e.getMessage()).isTrue());
        assertThat(errors).anySatisfy(e -> assertThat(e.getMessage()).contains("Server shutdown in progress"));
    }
    @Test
    void listenersAddedAndRemovedFromTwoThreadsAtOnceDoNotBlockEachOther() throws Exception {
        // removing a listener closes its socket on an acceptor thread, which may at that moment be finishing
        // another listener's start: neither may wait for the other (the operator adds and sweeps listeners so)
        // a deadlock fails the test (the stuck threads are left behind) instead of hanging the build
        Assertions.assertTimeoutPreemptively(Duration.ofSeconds(90),
                GracefulShutdownTest::addAndRemoveListenersConcurrently);
    }

    private static void addAndRemoveListenersConcurrently() throws Exception {
        try (TestProxy proxy = TestProxy.builder().withoutListeners().start()) {
            ProxyServer server = proxy.server();
            ExecutorService remover = Executors.newSingleThreadExecutor();
            try {
                for (int i = 0; i < 40; i++) {
                    String previous = "l" + (i - 1);
                    var added = server.put(new ListenerConfig("l" + i,
                            new HostPort("127.0.0.1", 0),
                            List.of(BackendConfig.parse(DB.server().address(),
                                    BackendRole.READ_WRITE)),
                            SelectionPolicy.FIRST_AVAILABLE, 10,
                            ClientTls.DISABLED));
                    Future<Boolean> removed = remover.submit(() -> server.remove(previous));
                    added.get(10, TimeUnit.SECONDS);
                    assertThat(removed.get(10, TimeUnit.SECONDS)).isEqualTo(i > 0);
                }
                assertThat(server.listeners()).hasSize(1);
            } finally {
                remover.shutdownNow();
            }
        }
    }
}
