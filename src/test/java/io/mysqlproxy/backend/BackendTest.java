package io.mysqlproxy.backend;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;

import static org.assertj.core.api.Assertions.assertThat;

class BackendTest {
    @Test
    void runningOutOfDescriptorsIsNotTheBackendsFault() {
        assertThat(Backend.localFailure(new SocketException("Too many open files"))).isTrue();
        // how Netty's native transport words it
        assertThat(Backend.localFailure(new IllegalStateException("connect", new IOException(
                "newSocketStream(..) failed with error(-24): Too many open files")))).isTrue();
        assertThat(Backend.localFailure(new ConnectException("Connection refused"))).isFalse();
        assertThat(Backend.localFailure(null)).isFalse();
    }

    @Test
    void aGreetedClientConnectionEndsARunOfFailedProbes() {
        Backend b = new Backend(BackendConfig.parse("127.0.0.1:3306", BackendRole.READ_WRITE));
        b.probeSucceeded(1_000, 1);
        assertThat(b.state()).isEqualTo(BackendState.UP);
        // probes time out under a connection storm while clients' connections are still greeted
        for (int i = 0; i < 5; i++) {
            assertThat(b.probeFailed("timed out", 3)).isFalse();
            assertThat(b.probeFailed("timed out", 3)).isFalse();
            b.greeted();
        }
        assertThat(b.state()).isEqualTo(BackendState.UP);
        b.probeFailed("timed out", 3);
        b.probeFailed("timed out", 3);
        assertThat(b.probeFailed("timed out", 3)).as("three in a row with nothing greeted").isTrue();
        assertThat(b.state()).isEqualTo(BackendState.DOWN);
    }
}
