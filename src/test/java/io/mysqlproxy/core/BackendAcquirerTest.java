package io.mysqlproxy.core;

import io.mysqlproxy.backend.Backend;
import io.mysqlproxy.config.MultiplexingConfig;
import io.mysqlproxy.protocol.ErrorCodes;
import io.mysqlproxy.testing.TestProxy;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Where a login's connection comes from, against plain sockets on loopback (open, refusing, opened late): failover
 * in order, the retry of every backend until the connect timeout, the error when none answers, a fresh connection
 * without failover, and the multiplexing limit making a login wait and then give up.
 */
class BackendAcquirerTest {
    private final List<ServerSocket> sockets = new ArrayList<>();
    private final List<Channel> channels = new ArrayList<>();
    private final EventLoop loop = TestProxy.vertx().nettyEventLoopGroup().next();
    private ProxyContext context;

    @AfterEach
    void close() throws IOException {
        channels.forEach(Channel::close);
        for (ServerSocket s : sockets) {
            s.close();
        }
    }

    @Test
    void failsOverToTheNextBackendInOrderWhenOneRefuses() throws Exception {
        int refusing = freePort();
        int open = listen(0);
        Listener listener = listener(2_000, MultiplexingConfig.DISABLED, refusing, open);
        Login login = new Login();

        acquirerFor(listener, login).start(listener.candidates());

        Outcome outcome = login.outcome.get(5, TimeUnit.SECONDS);
        assertThat(outcome.failure).isNull();
        assertThat(outcome.backend.address().port()).isEqualTo(open);
        assertThat(((InetSocketAddress) outcome.channel.remoteAddress()).getPort()).isEqualTo(open);
        assertThat(listener.pool(backend(listener, refusing)).openConnections()).isZero();
        assertThat(listener.pool(backend(listener, open)).openConnections()).isEqualTo(1);
    }

    @Test
    void triesEveryBackendAgainWhileTheConnectTimeoutHasNotRunOut() throws Exception {
        int port = freePort();
        Listener listener = listener(30_000, MultiplexingConfig.DISABLED, port);
        // the backend comes up after the first round failed: the second round finds it
        Login login = new Login(round -> {
            if (round == 2) {
                listen(port);
            }
        });

        acquirerFor(listener, login).start(listener.candidates());

        Outcome outcome = login.outcome.get(10, TimeUnit.SECONDS);
        assertThat(outcome.failure).isNull();
        assertThat(outcome.backend.address().port()).isEqualTo(port);
        assertThat(login.rounds.get()).isEqualTo(2);
    }

    @Test
    void noBackendAnsweringBeforeTheConnectTimeoutIsAnErrorNamingTheLastFailure() throws Exception {
        int a = freePort();
        int b = freePort();
        Listener listener = listener(600, MultiplexingConfig.DISABLED, a, b);
        Login login = new Login();

        acquirerFor(listener, login).start(listener.candidates());

        Outcome outcome = login.outcome.get(10, TimeUnit.SECONDS);
        assertThat(outcome.code).isEqualTo(ErrorCodes.NO_BACKEND);
        assertThat(outcome.failure).contains("no backend available for listener default")
                .contains("127.0.0.1:" + b).contains("refused");
        assertThat(login.rounds.get()).isGreaterThan(2); // both backends, then again after a pause
        assertThat(listener.refusedCount(Listener.Refusal.NO_BACKEND)).isEqualTo(1);
    }

    /** A server whose accept queue is full never answers the connect: the connect timeout gives it up. */
    @Test
    void aBackendThatNeverAnswersTheConnectIsGivenUpAtTheConnectTimeout() throws Exception {
        ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        sockets.add(full);
        List<Socket> queued = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) { // the kernel queues backlog + 1 connections; the next SYN goes unanswered
                Socket s = new Socket();
                s.connect(full.getLocalSocketAddress(), 1_000);
                queued.add(s);
            }
        } catch (SocketTimeoutException queueFull) {
            // already full
        }
        Listener listener = listener(800, MultiplexingConfig.DISABLED, full.getLocalPort());
        Login login = new Login();

        acquirerFor(listener, login).freshTo(backend(listener, full.getLocalPort()));

        Outcome outcome = login.outcome.get(10, TimeUnit.SECONDS);
        assertThat(outcome.code).isEqualTo(ErrorCodes.NO_BACKEND);
        assertThat(outcome.failure).contains("connection timed out after 800 ms: 127.0.0.1:" + full.getLocalPort());
        assertThat(listener.pool(backend(listener, full.getLocalPort())).openConnections()).isZero();
        for (Socket s : queued) {
            s.close();
        }
    }

    @Test
    void aFreshConnectionGoesToThatBackendOnlyWithoutRetrying() throws Exception {
        int refusing = freePort();
        int open = listen(0);
        Listener listener = listener(30_000, MultiplexingConfig.DISABLED, refusing, open);
        Login login = new Login();

        acquirerFor(listener, login).freshTo(backend(listener, refusing));

        Outcome outcome = login.outcome.get(5, TimeUnit.SECONDS);
        assertThat(outcome.code).isEqualTo(ErrorCodes.NO_BACKEND);
        assertThat(outcome.failure).contains("127.0.0.1:" + refusing);
        assertThat(login.rounds.get()).isEqualTo(1);
    }

    @Test
    void aBackendClosingBeforeItsGreetingCountsAsRefusedAndTheNextIsTried() throws Exception {
        int first = listen(0);
        int second = listen(0);
        Listener listener = listener(2_000, MultiplexingConfig.DISABLED, first, second);
        CompletableFuture<Outcome> firstConnection = new CompletableFuture<>();
        Login login = new Login();
        BackendAcquirer acquirer = acquirerFor(listener, new Login() {
            @Override
            public void connected(Backend backend, Channel channel) {
                if (!firstConnection.isDone()) {
                    firstConnection.complete(new Outcome(backend, channel, 0, null));
                } else {
                    login.connected(backend, channel);
                }
            }
        });
        acquirer.start(listener.candidates());
        Outcome lost = firstConnection.get(5, TimeUnit.SECONDS);
        assertThat(lost.backend.address().port()).isEqualTo(first);

        loop.execute(() -> {
            lost.channel.close();
            acquirer.closedBeforeGreeting(lost.backend);
        });

        Outcome outcome = login.outcome.get(5, TimeUnit.SECONDS);
        assertThat(outcome.backend.address().port()).isEqualTo(second);
    }

    @Test
    void beyondTheMultiplexingLimitALoginWaitsForAFreeConnectionThenGetsError1040() throws Exception {
        int open = listen(0);
        Listener listener = listener(2_000, new MultiplexingConfig(true, Set.of(), 1, 300), open);
        Login holder = new Login();
        acquirerFor(listener, holder).start(listener.candidates());
        assertThat(holder.outcome.get(5, TimeUnit.SECONDS).failure).isNull();

        Login waiting = new Login();
        acquirerFor(listener, waiting).start(listener.candidates());

        Outcome outcome = waiting.outcome.get(5, TimeUnit.SECONDS);
        assertThat(outcome.code).isEqualTo(ErrorCodes.TOO_MANY_CONNECTIONS);
        assertThat(outcome.failure).contains("all 1 connections to 127.0.0.1:" + open + " are in use")
                .contains("none became free within 300 ms");
        assertThat(listener.pool(backend(listener, open)).openConnections()).isEqualTo(1);
    }

    /** A login that records what it was given; {@code onRound} runs each time a backend is about to be tried. */
    private class Login implements BackendAcquirer.Receiver {
        final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        final AtomicInteger rounds = new AtomicInteger();
        private final ThrowingIntConsumer onRound;

        Login() {
            this(round -> { });
        }

        Login(ThrowingIntConsumer onRound) {
            this.onRound = onRound;
        }

        @Override
        public void connected(Backend backend, Channel channel) {
            channels.add(channel);
            outcome.complete(new Outcome(backend, channel, 0, null));
        }

        @Override
        public void takeOver(Backend backend, PooledConnection idle) {
            outcome.completeExceptionally(new AssertionError("no pooled connection was expected"));
        }

        @Override
        public void failed(int code, String sqlState, String message) {
            outcome.complete(new Outcome(null, null, code, message));
        }

        @Override
        public boolean mayTakePooled() {
            try {
                onRound.accept(rounds.incrementAndGet());
            } catch (IOException e) {
                outcome.completeExceptionally(e);
            }
            return true;
        }

        @Override
        public boolean gone() {
            return outcome.isDone();
        }
    }

    private interface ThrowingIntConsumer {
        void accept(int value) throws IOException;
    }

    private record Outcome(Backend backend, Channel channel, int code, String failure) {
    }

    private BackendAcquirer acquirerFor(Listener listener, BackendAcquirer.Receiver receiver) {
        return new BackendAcquirer(listener, context, loop, "test login",
                ChannelInboundHandlerAdapter::new, receiver);
    }

    private Listener listener(long connectTimeoutMillis, MultiplexingConfig multiplexing, int... ports) {
        context = EmbeddedSession.context(EmbeddedSession.withConnectTimeout(connectTimeoutMillis), multiplexing, null);
        return EmbeddedSession.listener(context, Arrays.stream(ports).mapToObj(p -> "127.0.0.1:" + p)
                .toArray(String[]::new));
    }

    private static Backend backend(Listener listener, int port) {
        return listener.backends().stream().filter(b -> b.address().port() == port).findFirst().orElseThrow();
    }

    /** A port nothing listens on: connecting to it is refused. */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Listens on {@code port} (0: any free one) and returns it; connections wait in the backlog. */
    private int listen(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        sockets.add(s);
        return s.getLocalPort();
    }
}
