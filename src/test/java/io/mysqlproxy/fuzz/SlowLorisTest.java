package io.mysqlproxy.fuzz;

import io.mysqlproxy.config.Limits;
import io.mysqlproxy.config.LoginAdmission;
import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Connections that open and never finish logging in are closed by the handshake timeout while a normal client goes
 * on working. CI opens 300 of them; bench/connections.sh opens 5,000 and reports the normal client's latency.
 */
class SlowLorisTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();
    static final int LORIS = 300;

    @Test
    void halfOpenLoginsAreClosedAndOthersAreServed() throws Exception {
        Limits limits = new Limits(2_000, 1_000, 28_800_000, 28_800_000, 28_800_000, 1 << 24, 1_000);
        // 256 logins at once, so the normal client waits in the queue until the handshake timeout frees a slot: its
        // queue timeout is longer than the handshake timeout, else which one strikes first is a matter of timing
        LoginAdmission admission = new LoginAdmission(256, 5_000);
        try (TestProxy proxy = TestProxy.builder().backend(DB.server().address()).limits(l -> limits)
                .logins(admission).start()) {
            List<Socket> loris = new ArrayList<>();
            try {
                for (int i = 0; i < LORIS; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 2_000);
                    s.setSoTimeout(5_000);
                    if (i % 3 == 1) {
                        s.getOutputStream().write(new byte[] {40, 0, 0}); // half a header, then nothing
                    }
                    loris.add(s);
                }
                CompletableFuture<Integer> served = CompletableFuture.supplyAsync(() -> {
                    int ok = 0;
                    try (Connection c = DriverManager.getConnection(proxy.mariadbUrl("", ""), "root", "");
                         Statement st = c.createStatement()) {
                        for (int i = 0; i < 100; i++) {
                            try (ResultSet rs = st.executeQuery("SELECT " + i)) {
                                rs.next();
                                ok += rs.getInt(1) == i ? 1 : 0;
                            }
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    return ok;
                });
                assertThat(served.get()).isEqualTo(100);
                int closed = 0;
                for (Socket s : loris) {
                    closed += closedByProxy(s) ? 1 : 0;
                }
                assertThat(closed).isEqualTo(LORIS);
                await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().listeners().get(0).connectionCount() == 0);
            } finally {
                for (Socket s : loris) {
                    s.close();
                }
            }
        }
    }

    /** Reads until the proxy closes (after its error packet, if any); false if it stays open past the timeout. */
    static boolean closedByProxy(Socket s) {
        try {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[512];
            while (true) {
                if (in.read(buf) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the proxy
        }
    }
}
