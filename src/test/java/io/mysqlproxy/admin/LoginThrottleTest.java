package io.mysqlproxy.admin;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class LoginThrottleTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final LoginThrottle throttle = new LoginThrottle(3, 60_000, now::get);

    @Test
    void blocksAHostForTheRestOfTheWindowAfterTooManyFailures() throws Exception {
        InetAddress a = InetAddress.getByName("10.0.0.1");
        InetAddress b = InetAddress.getByName("10.0.0.2");
        throttle.failed(a);
        now.addAndGet(10_000);
        throttle.failed(a);
        assertThat(throttle.blockedFor(a)).isZero();
        throttle.failed(a);
        assertThat(throttle.blockedFor(a)).isEqualTo(50_000); // until the first failure is a minute old
        assertThat(throttle.blockedFor(b)).isZero();
        now.addAndGet(50_000);
        assertThat(throttle.blockedFor(a)).isZero();
    }

    @Test
    void aSuccessfulLoginForgetsTheFailures() throws Exception {
        InetAddress a = InetAddress.getByName("10.0.0.3");
        throttle.failed(a);
        throttle.failed(a);
        throttle.succeeded(a);
        throttle.failed(a);
        throttle.failed(a);
        assertThat(throttle.blockedFor(a)).isZero();
    }
}
