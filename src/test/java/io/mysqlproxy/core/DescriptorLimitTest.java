package io.mysqlproxy.core;

import io.mysqlproxy.testing.MariaDbExtension;
import io.mysqlproxy.testing.TestProxy;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/** A connection limit the process cannot keep (two descriptors per client) is pointed out at start. */
class DescriptorLimitTest {
    @RegisterExtension
    static final MariaDbExtension DB = new MariaDbExtension();

    private static List<String> warningsWhileStarting(int maxConnections) {
        List<String> seen = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public synchronized void publish(LogRecord r) {
                String m = r instanceof ExtLogRecord e ? e.getFormattedMessage() : r.getMessage();
                if (m != null && m.contains("file descriptors")) {
                    seen.add(m);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger log = Logger.getLogger(ProxyServer.class.getName());
        log.addHandler(capture);
        try (TestProxy ignored = TestProxy.builder().backend(DB.server().address()).maxConnections(maxConnections)
                .start()) {
            return seen;
        } finally {
            log.removeHandler(capture);
        }
    }

    @Test
    void tooManyAdmittedClientsForTheDescriptorLimitAreWarnedOf() {
        long limit = ((com.sun.management.UnixOperatingSystemMXBean) ManagementFactory
                .getOperatingSystemMXBean()).getMaxFileDescriptorCount();
        assertThat(warningsWhileStarting((int) Math.min(Integer.MAX_VALUE, limit))).singleElement().asString()
                .contains("lower --proxy-max-connections to " + (limit - 256) / 2);
        assertThat(warningsWhileStarting(10)).isEmpty();
    }
}
