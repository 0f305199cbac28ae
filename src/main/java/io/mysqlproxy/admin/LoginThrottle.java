package io.mysqlproxy.admin;

import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Counts failed admin logins per client host: a host that failed {@code maxFailures} times within the window is
 * refused until its oldest failure in the window is older than the window. A successful login forgets the host's
 * failures.
 */
final class LoginThrottle {
    private final int maxFailures;
    private final long windowMillis;
    private final LongSupplier clock;
    private final Map<InetAddress, Deque<Long>> failures = new HashMap<>();

    LoginThrottle(int maxFailures, long windowMillis, LongSupplier clock) {
        this.maxFailures = maxFailures;
        this.windowMillis = windowMillis;
        this.clock = clock;
    }

    /** Milliseconds until {@code host} may try again, or 0 when it may try now. */
    synchronized long blockedFor(InetAddress host) {
        Deque<Long> times = recent(host);
        if (times == null || times.size() < maxFailures) {
            return 0;
        }
        return Math.max(1, times.peekFirst() + windowMillis - clock.getAsLong());
    }

    synchronized void failed(InetAddress host) {
        if (failures.size() > 10_000) {
            List.copyOf(failures.keySet()).forEach(this::recent); // forget hosts whose failures expired
        }
        failures.computeIfAbsent(host, h -> new ArrayDeque<>()).addLast(clock.getAsLong());
        Deque<Long> times = recent(host);
        while (times.size() > maxFailures) {
            times.removeFirst();
        }
    }

    synchronized void succeeded(InetAddress host) {
        failures.remove(host);
    }

    private Deque<Long> recent(InetAddress host) {
        Deque<Long> times = failures.get(host);
        if (times == null) {
            return null;
        }
        long cutoff = clock.getAsLong() - windowMillis;
        while (!times.isEmpty() && times.peekFirst() <= cutoff) {
            times.removeFirst();
        }
        if (times.isEmpty()) {
            failures.remove(host);
            return null;
        }
        return times;
    }
}
