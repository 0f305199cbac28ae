package io.mysqlproxy.operator;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.mysqlproxy.backend.BackendConfig;
import io.mysqlproxy.backend.BackendRole;
import io.mysqlproxy.config.HostPort;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Backends from the EndpointSlices of a Service: every ready endpoint address on the chosen port. The role comes
 * from a label of the endpoint's pod when {@code roleLabel} is set (its {@code readWriteValue} means readWrite,
 * anything else readOnly); without it every endpoint is readWrite.
 */
final class BackendDiscoverer {
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    private final KubernetesClient client;

    BackendDiscoverer(KubernetesClient client) {
        this.client = client;
    }

    List<BackendConfig> discover(String ns, MySQLProxySpec.BackendDiscovery d) {
        List<BackendConfig> out = new ArrayList<>();
        List<EndpointSlice> slices = client.discovery().v1().endpointSlices().inNamespace(ns)
                .withLabel(SERVICE_NAME_LABEL, d.service).list().getItems();
        for (EndpointSlice slice : slices) {
            Integer port = port(slice, d.port);
            if (port == null || slice.getEndpoints() == null) {
                continue;
            }
            for (Endpoint e : slice.getEndpoints()) {
                if (e.getConditions() != null && Boolean.FALSE.equals(e.getConditions().getReady())) {
                    continue;
                }
                BackendRole role = role(ns, e.getTargetRef(), d);
                for (String address : e.getAddresses()) {
                    out.add(new BackendConfig(new HostPort(address, port), role, 1));
                }
            }
        }
        out.sort(Comparator.comparing((BackendConfig b) -> b.address().toString()));
        return out;
    }

    private static Integer port(EndpointSlice slice, String wanted) {
        if (slice.getPorts() == null || slice.getPorts().isEmpty()) {
            return null;
        }
        if (wanted == null || wanted.isEmpty()) {
            return slice.getPorts().get(0).getPort();
        }
        for (EndpointPort p : slice.getPorts()) {
            if (wanted.equals(p.getName()) || wanted.equals(String.valueOf(p.getPort()))) {
                return p.getPort();
            }
        }
        return null;
    }

    private BackendRole role(String ns, ObjectReference target, MySQLProxySpec.BackendDiscovery d) {
        if (d.roleLabel == null || d.roleLabel.isEmpty()) {
            return BackendRole.READ_WRITE;
        }
        if (target == null || !"Pod".equals(target.getKind())) {
            return BackendRole.READ_ONLY;
        }
        Pod pod = client.pods().inNamespace(ns).withName(target.getName()).get();
        Map<String, String> labels = pod == null || pod.getMetadata().getLabels() == null ? Map.of()
                : pod.getMetadata().getLabels();
        String primary = d.readWriteValue == null ? "primary" : d.readWriteValue;
        return primary.equals(labels.get(d.roleLabel)) ? BackendRole.READ_WRITE : BackendRole.READ_ONLY;
    }
}
