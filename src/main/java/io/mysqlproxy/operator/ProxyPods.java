package io.mysqlproxy.operator;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.jboss.logging.Logger;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * This proxy pod and its siblings: who this replica is (a pod's host name is its name), the labels that select
 * the proxy pods (for the Services the leader creates), and which proxy pods exist. Outside a pod there are no
 * siblings and no selector.
 */
final class ProxyPods {
    private static final Logger LOG = Logger.getLogger(ProxyPods.class);
    /** The labels of the Helm chart that select this installation's pods. */
    static final List<String> SELECTOR_LABELS = List.of("app.kubernetes.io/name", "app.kubernetes.io/instance");

    private final KubernetesClient client;
    private final String name;
    private final String namespace;
    private volatile Map<String, String> selector;

    ProxyPods(KubernetesClient client) {
        this.client = client;
        this.name = hostName();
        String ns = System.getenv("POD_NAMESPACE");
        this.namespace = ns != null ? ns : client.getNamespace() != null ? client.getNamespace() : "default";
    }

    private static String hostName() {
        String env = System.getenv("POD_NAME");
        if (env != null) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "mysqlproxy-" + ProcessHandle.current().pid();
        }
    }

    /** This replica's name: its pod's. */
    String name() {
        return name;
    }

    String namespace() {
        return namespace;
    }

    /** The labels selecting the proxy pods, from this pod's own labels; empty when this is not a labelled pod. */
    Map<String, String> selector() {
        Map<String, String> s = selector;
        if (s == null || s.isEmpty()) {
            Pod me = client.pods().inNamespace(namespace).withName(name).get();
            Map<String, String> found = new TreeMap<>();
            if (me != null && me.getMetadata().getLabels() != null) {
                for (String key : SELECTOR_LABELS) {
                    String v = me.getMetadata().getLabels().get(key);
                    if (v != null) {
                        found.put(key, v);
                    }
                }
            }
            if (found.size() < SELECTOR_LABELS.size()) {
                found.clear();
                LOG.debugf("pod %s/%s has no labels %s: no Services, no replica count", namespace, name, SELECTOR_LABELS);
            }
            selector = s = Map.copyOf(found);
        }
        return s;
    }

    /** Names of the proxy pods that exist and are not terminating (this one included when it is a pod). */
    List<String> siblings() {
        Map<String, String> s = selector();
        if (s.isEmpty()) {
            return List.of(name);
        }
        return client.pods().inNamespace(namespace).withLabels(s).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .map(p -> p.getMetadata().getName()).sorted().toList();
    }
}
