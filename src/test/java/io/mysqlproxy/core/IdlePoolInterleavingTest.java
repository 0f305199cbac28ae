package io.mysqlproxy.core;

import io.mysqlproxy.config.MultiplexingConfig;
import io.mysqlproxy.config.PoolConfig;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hand-over races of one backend's pool, each pinned down in order, then multiplexed clients on several threads borrow, wait for, give back and lose one backend's connections in random
 * order (a fixed seed per thread): the pool's counts stay true throughout and add up when they are done.
 */
class IdlePoolInterleavingTest {
    private static final int CONNECTIONS = 4;
    private static final int CLIENTS = 6;
    private static final int ROUNDS = 20_000;
    private static final long SEED = 20261206L;
    private static final String USER = "app";
    private static final int CHARSET = 45;

    @Test
    void countsStayTrueUnderConcurrentBorrowGiveBackWaitAndLoss() throws Exception {
        IdlePool pool = new IdlePool("db:3306", new PoolConfig(0, 0, 0,
                new MultiplexingConfig(true, Set.of(), CONNECTIONS, 1_000)));
        List<PooledConnection> first = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            assertThat(pool.reserve()).isTrue();
            first.add(open(pool));
        }
        assertThat(pool.reserve()).isFalse();
        pool.sessionStarted(first.get(0)); // the first client logged in on it and holds it
        for (int i = 1; i < CONNECTIONS; i++) {
            assertThat(pool.offer(first.get(i))).isTrue();
        }
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);
        Thread watcher = new Thread(() -> {
            while (running.get()) {
                for (IdlePool.UserRow row : pool.users()) {
                    if (row.inUse() < 0 || row.idle() < 0 || row.inUse() + row.idle() > CONNECTIONS) {
                        violations.add("counts out of range: " + row);
                    }
                    if (row.waiting() > 0 && row.idle() > 0) { // every connection fits every statement here
                        violations.add("a statement waits while a connection is idle: " + row);
                    }
                }
                if (pool.openConnections() < 0 || pool.openConnections() > CONNECTIONS) {
                    violations.add("open " + pool.openConnections());
                }
                Thread.yield();
            }
        });
        watcher.start();
        CountDownLatch done = new CountDownLatch(CLIENTS);
        List<Throwable> failures = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            Random random = new Random(SEED + c);
            PooledConnection start = c == 0 ? first.get(0) : null;
            if (c > 0) {
                pool.sessionJoined(USER);
            }
            new Thread(() -> {
                try {
                    client(pool, random, start);
                } catch (Throwable t) {
                    synchronized (failures) {
                        failures.add(t);
                    }
                } finally {
                    pool.sessionEnded(USER);
                    done.countDown();
                }
            }).start();
        }
        assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        running.set(false);
        watcher.join();

        assertThat(failures).isEmpty();
        assertThat(violations).as("the first of %d", violations.size()).isEmpty();
        assertThat(pool.ledgerMismatches()).isZero();
        assertThat(pool.connectionsInUse()).isZero();
        assertThat(pool.multiplexedClients()).isZero();
        assertThat(pool.idle(USER)).isEqualTo(pool.openConnections()); // every open connection is back
        assertThat(pool.openConnections()).isBetween(1, CONNECTIONS);
    }

    @Test
    void aConnectionGivenBackBetweenAFailedBorrowAndTheWaitIsHandedOverAtOnce() {
        IdlePool pool = new IdlePool("db:3306", new PoolConfig(0, 0, 0,
                new MultiplexingConfig(true, Set.of(), 1, 1_000)));
        pool.reserve();
        PooledConnection only = open(pool);
        pool.sessionStarted(only); // client A holds it
        pool.sessionJoined(USER); // client B
        IdlePool.Wanted wanted = new IdlePool.Wanted(USER, 0, CHARSET, null, null);
        assertThat(pool.borrow(wanted, null)).isNull(); // B finds none free
        assertThat(pool.giveBack(only)).isTrue(); // A's statement ends before B queues
        AtomicReference<PooledConnection> handed = new AtomicReference<>();
        assertThat(pool.await(new IdlePool.Waiter(wanted, handed::set))).isTrue();
        assertThat(handed.get()).as("B does not wait for a connection that is idle").isSameAs(only);
        assertThat(pool.users()).containsExactly(new IdlePool.UserRow(USER, 2, 1, 0, 0));
    }

    @Test
    void aConnectionThatGoesIdleBetweenALoginsLookAndItsWaitIsHandedOverAtOnce() {
        IdlePool pool = new IdlePool("db:3306", new PoolConfig(0, 0, 0,
                new MultiplexingConfig(true, Set.of(), 1, 1_000)));
        pool.reserve();
        PooledConnection only = open(pool);
        EventLoop loop = only.channel().eventLoop();
        assertThat(pool.take(loop)).isNull(); // a login finds none idle, and none may be opened
        assertThat(pool.reserve()).isFalse();
        assertThat(pool.offer(only)).isTrue(); // the connection's client leaves before the login queues
        AtomicReference<PooledConnection> handed = new AtomicReference<>();
        pool.awaitLogin(handed::set);
        assertThat(handed.get()).as("the login does not wait for a connection that is idle").isSameAs(only);
        assertThat(pool.idle(USER)).isZero();
    }

    /** One client's statements: each takes a connection (at once or after waiting), then gives it back or loses it. */
    private static void client(IdlePool pool, Random random, PooledConnection loggedIn) throws InterruptedException {
        IdlePool.Wanted wanted = new IdlePool.Wanted(USER, 0, CHARSET, null, null);
        PooledConnection held = loggedIn;
        for (int round = 0; round < ROUNDS; round++) {
            if (held == null) {
                held = pool.borrow(wanted, null);
            }
            if (held == null) {
                AtomicReference<PooledConnection> handed = new AtomicReference<>();
                IdlePool.Waiter waiter = new IdlePool.Waiter(wanted, handed::set);
                if (!pool.await(waiter)) {
                    addFresh(pool); // every connection was lost: a login opens one
                    continue;
                }
                if (random.nextInt(4) == 0 && pool.cancel(waiter)) {
                    continue; // timed out before any came back
                }
                // the wait timeout, counted in turns: the last connections may be lost while this one waits
                for (int turns = 0; handed.get() == null; turns++) {
                    if (turns > 10_000 && pool.cancel(waiter)) {
                        break; // else cancelling failed because it is being handed over
                    }
                    Thread.yield();
                }
                held = handed.get();
                if (held == null) {
                    continue; // timed out
                }
            }
            int fate = random.nextInt(100);
            if (fate < 3) {
                pool.lost(held); // the server closed it while the client held it
                held.channel().close();
                held = null;
                if (random.nextBoolean()) {
                    addFresh(pool);
                }
            } else if (fate < 90) {
                if (!pool.giveBack(held)) {
                    held.channel().close(); // no room: closed instead, as the proxy discards it
                }
                held = null;
            } // else the client keeps it for its next statement (a transaction)
        }
        if (held != null && !pool.giveBack(held)) {
            held.channel().close();
        }
    }

    /** A login opens a connection in place of a lost one, if the limit allows, and leaves it to the pool. */
    private static void addFresh(IdlePool pool) {
        if (pool.reserve()) {
            PooledConnection fresh = open(pool);
            if (!pool.offer(fresh)) {
                fresh.channel().close();
            }
        }
    }

    private static PooledConnection open(IdlePool pool) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(BackendHandler.NAME, new BackendHandler(null));
        pool.opened(ch);
        return new PooledConnection(ch, null, USER, 0, new ConnectionState(CHARSET, null));
    }
}
