package io.mysqlproxy.backend;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Orders the backends a new connection should try: the policy's choice first, then the other healthy read-write
 * backends, so that a refused connection fails over before the client sees an error. When none is healthy, the ones
 * marked down are tried all the same: one may be back before its health check notices (a restart), and a client
 * refused meanwhile would have to retry by itself.
 */
public final class BackendSelector {
    private final SelectionPolicy policy;
    private final AtomicInteger next = new AtomicInteger();

    public BackendSelector(SelectionPolicy policy) {
        this.policy = policy;
    }

    public SelectionPolicy policy() {
        return policy;
    }

    /**
     * Healthy read-write backends in the order to try them; without any, the read-write ones marked down (not those
     * set offline); empty when there is neither.
     */
    public List<Backend> candidates(List<Backend> backends) {
        List<Backend> healthy = new ArrayList<>(backends.size());
        List<Backend> down = new ArrayList<>(0);
        for (Backend b : backends) {
            if (b.role() == BackendRole.READ_WRITE && b.state().acceptsConnections()) {
                healthy.add(b);
            } else if (b.role() == BackendRole.READ_WRITE && b.state() == BackendState.DOWN) {
                down.add(b);
            }
        }
        if (healthy.isEmpty()) {
            return down;
        }
        if (healthy.size() < 2) {
            return healthy;
        }
        switch (policy) {
            case ROUND_ROBIN -> rotate(healthy, Math.floorMod(next.getAndIncrement(), healthy.size()));
            case LEAST_CONNECTIONS -> healthy.sort(Comparator.comparingInt(Backend::connectedClients));
            case WEIGHTED -> rotate(healthy, weightedPick(healthy));
            case FIRST_AVAILABLE -> { }
        }
        return healthy;
    }

    /**
     * {@code candidates} with the backend a script picked ({@code backendNdx}, 1-based in {@code all}; 0 for none)
     * first if it accepts connections, whatever its role; the others keep their order.
     */
    public static List<Backend> preferring(List<Backend> candidates, List<Backend> all, int backendNdx) {
        if (backendNdx <= 0 || backendNdx > all.size()) {
            return candidates;
        }
        List<Backend> order = new ArrayList<>(candidates);
        Backend picked = all.get(backendNdx - 1);
        order.remove(picked);
        if (picked.state().acceptsConnections()) {
            order.add(0, picked);
        }
        return order;
    }

    private static int weightedPick(List<Backend> healthy) {
        int total = 0;
        for (Backend b : healthy) {
            total += b.weight();
        }
        int r = ThreadLocalRandom.current().nextInt(total);
        for (int i = 0; i < healthy.size(); i++) {
            r -= healthy.get(i).weight();
            if (r < 0) {
                return i;
            }
        }
        return 0;
    }

    private static void rotate(List<Backend> list, int first) {
        if (first > 0) {
            Collections.rotate(list, -first);
        }
    }
}
