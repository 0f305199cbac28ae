package io.mysqlproxy.backend;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BackendSelectorTest {
    private static Backend backend(String address, BackendRole role, int weight) {
        return new Backend(BackendConfig.parse(address + "@" + weight, role));
    }

    @Test
    void firstAvailableSkipsDownOfflineAndReadOnlyBackends() {
        Backend down = backend("10.0.0.1:3306", BackendRole.READ_WRITE, 1);
        down.probeFailed("test", 1);
        Backend offline = backend("10.0.0.2:3306", BackendRole.READ_WRITE, 1);
        offline.setOffline(true);
        Backend ro = backend("10.0.0.3:3306", BackendRole.READ_ONLY, 1);
        Backend up = backend("10.0.0.4:3306", BackendRole.READ_WRITE, 1);
        Backend unknown = backend("10.0.0.5:3306", BackendRole.READ_WRITE, 1);
        List<Backend> order = new BackendSelector(SelectionPolicy.FIRST_AVAILABLE)
                .candidates(List.of(down, offline, ro, up, unknown));
        assertThat(order).containsExactly(up, unknown);
    }

    @Test
    void aScriptsPickComesFirstIfItTakesConnectionsAndAnIndexOutOfRangeChangesNothing() {
        Backend rw1 = backend("10.0.0.1:3306", BackendRole.READ_WRITE, 1);
        Backend rw2 = backend("10.0.0.2:3306", BackendRole.READ_WRITE, 1);
        Backend ro = backend("10.0.0.3:3306", BackendRole.READ_ONLY, 1);
        List<Backend> all = List.of(rw1, rw2, ro);
        List<Backend> candidates = List.of(rw1, rw2);
        assertThat(BackendSelector.preferring(candidates, all, 3)).containsExactly(ro, rw1, rw2);
        assertThat(BackendSelector.preferring(candidates, all, 2)).containsExactly(rw2, rw1);
        assertThat(BackendSelector.preferring(candidates, all, 0)).containsExactly(rw1, rw2);
        assertThat(BackendSelector.preferring(candidates, all, 4)).containsExactly(rw1, rw2);
        ro.setOffline(true);
        assertThat(BackendSelector.preferring(candidates, all, 3)).containsExactly(rw1, rw2);
    }

    @Test
    void leastConnectionsPrefersTheEmptiest() {
        Backend busy = backend("10.0.0.1:3306", BackendRole.READ_WRITE, 1);
        Backend idle = backend("10.0.0.2:3306", BackendRole.READ_WRITE, 1);
        busy.clientConnected();
        busy.clientConnected();
        idle.clientConnected();
        assertThat(new BackendSelector(SelectionPolicy.LEAST_CONNECTIONS).candidates(List.of(busy, idle)))
                .containsExactly(idle, busy);
    }

    @Test
    void weightedFollowsTheWeights() {
        Backend light = backend("10.0.0.1:3306", BackendRole.READ_WRITE, 1);
        Backend heavy = backend("10.0.0.2:3306", BackendRole.READ_WRITE, 3);
        BackendSelector selector = new BackendSelector(SelectionPolicy.WEIGHTED);
        Map<Backend, Integer> firsts = new HashMap<>();
        for (int i = 0; i < 4000; i++) {
            firsts.merge(selector.candidates(List.of(light, heavy)).get(0), 1, Integer::sum);
        }
        assertThat(firsts.get(heavy)).isBetween(2700, 3300);
        assertThat(selector.candidates(List.of(light, heavy))).hasSize(2);
    }

    @Test
    void downAfterFailuresUpAfterSuccesses() {
        Backend b = backend("10.0.0.1:3306", BackendRole.READ_WRITE, 1);
        assertThat(b.probeFailed("x", 2)).isFalse();
        assertThat(b.state()).isEqualTo(BackendState.UNKNOWN);
        assertThat(b.probeFailed("x", 2)).isTrue();
        assertThat(b.state()).isEqualTo(BackendState.DOWN);
        assertThat(b.probeSucceeded(1000, 2)).isFalse();
        assertThat(b.probeSucceeded(1000, 2)).isTrue();
        assertThat(b.state()).isEqualTo(BackendState.UP);
        b.setOffline(true);
        assertThat(b.probeSucceeded(1000, 1)).isFalse();
        assertThat(b.state()).isEqualTo(BackendState.OFFLINE);
    }
}
