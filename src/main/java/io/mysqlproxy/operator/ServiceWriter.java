package io.mysqlproxy.operator;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Service in front of the proxy pods for one MySQLProxy: named like the resource, owned by it (deleting the
 * resource deletes it), selecting the proxy pods, with the listener's port (and the admin port when there is one).
 */
final class ServiceWriter {
    static final String MANAGED_BY = "mysqlproxy";

    private final KubernetesClient client;

    ServiceWriter(KubernetesClient client) {
        this.client = client;
    }

    /** Creates, updates or (when spec.service.create is false) deletes the resource's Service. */
    void write(MySQLProxy r, Map<String, String> selector) {
        String ns = r.getMetadata().getNamespace();
        String name = r.getMetadata().getName();
        MySQLProxySpec.Service spec = r.getSpec().service;
        Service existing = client.services().inNamespace(ns).withName(name).get();
        boolean wanted = spec == null || spec.create == null || spec.create;
        if (!wanted || selector.isEmpty()) {
            if (existing != null && ownedBy(existing, r)) {
                client.services().inNamespace(ns).withName(name).delete();
            }
            return;
        }
        String type = spec == null || spec.type == null ? "ClusterIP" : spec.type;
        Map<String, String> annotations = spec == null || spec.annotations == null ? Map.of() : spec.annotations;
        List<ServicePort> ports = new ArrayList<>();
        ports.add(port("mysql", r.getSpec().listener.port));
        if (r.getSpec().admin != null && r.getSpec().admin.port != null) {
            ports.add(port("admin", r.getSpec().admin.port));
        }
        if (existing == null) {
            client.services().inNamespace(ns).resource(new ServiceBuilder()
                    .withNewMetadata().withName(name).withNamespace(ns).withAnnotations(annotations)
                    .addToLabels("app.kubernetes.io/managed-by", MANAGED_BY).addToLabels("mysqlproxy.io/resource", name)
                    .withOwnerReferences(owner(r)).endMetadata()
                    .withNewSpec().withType(type).withSelector(selector).withPorts(ports).endSpec().build()).create();
            return;
        }
        if (!ownedBy(existing, r)) {
            throw new SpecException(ListenerTranslator.READY, "ServiceConflict", "Service " + ns + "/" + name
                    + " exists and is not owned by this MySQLProxy; set spec.service.create=false or rename it");
        }
        boolean same = Objects.equals(existing.getSpec().getType(), type)
                && Objects.equals(existing.getSpec().getSelector(), selector)
                && samePorts(existing.getSpec().getPorts(), ports)
                && Objects.equals(existing.getMetadata().getAnnotations() == null ? Map.of()
                : existing.getMetadata().getAnnotations(), annotations);
        if (!same) {
            client.services().inNamespace(ns).withName(name).edit(s -> new ServiceBuilder(s)
                    .editMetadata().withAnnotations(annotations).endMetadata()
                    .editSpec().withType(type).withSelector(selector).withPorts(ports).endSpec().build());
        }
    }

    /** Deletes the Service {@code ns/name} if the resource with {@code uid} owns it. */
    void deleteOwned(String ns, String name, String uid) {
        Service s = client.services().inNamespace(ns).withName(name).get();
        if (s != null && s.getMetadata().getOwnerReferences() != null && s.getMetadata().getOwnerReferences().stream()
                .anyMatch(o -> uid.equals(o.getUid()))) {
            client.services().inNamespace(ns).withName(name).delete();
        }
    }

    private static ServicePort port(String name, int port) {
        return new ServicePortBuilder().withName(name).withPort(port).withTargetPort(new IntOrString(port))
                .withProtocol("TCP").build();
    }

    private static boolean samePorts(List<ServicePort> a, List<ServicePort> b) {
        if (a == null || a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!Objects.equals(a.get(i).getName(), b.get(i).getName())
                    || !Objects.equals(a.get(i).getPort(), b.get(i).getPort())) {
                return false;
            }
        }
        return true;
    }

    static boolean ownedBy(Service s, MySQLProxy r) {
        return s.getMetadata().getOwnerReferences() != null && s.getMetadata().getOwnerReferences().stream()
                .anyMatch(o -> Objects.equals(o.getUid(), r.getMetadata().getUid()));
    }

    static OwnerReference owner(MySQLProxy r) {
        return new OwnerReferenceBuilder().withApiVersion(r.getApiVersion()).withKind(r.getKind())
                .withName(r.getMetadata().getName()).withUid(r.getMetadata().getUid()).withController(true)
                .withBlockOwnerDeletion(true).build();
    }
}
