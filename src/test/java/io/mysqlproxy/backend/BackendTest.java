package io.mysqlproxy.backend;

import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.SocketException;

import static org.assertj.core.api.Assertions.assertThat;

class BackendTest {
    @Test
    void runningOutOfDescriptorsIsNotTheBackendsFault() {
        assertThat(Backend.localFailure(new SocketException("Too many open files"))).isTrue();
        // how Netty's native transport words it
        assertThat(Backend.localFailure(new IllegalStateException("connect", new java.io.IOException(
                "newSocketStream(..) failed with error(-24): Too many open files")))).isTrue();
        assertThat(Backend.localFailure(new ConnectException("Connection refused"))).isFalse();
        assertThat(Backend.localFailure(null)).isFalse();
    }
}
