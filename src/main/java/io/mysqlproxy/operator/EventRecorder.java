package io.mysqlproxy.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.jboss.logging.Logger;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Kubernetes Events on a MySQLProxy for what operators want in {@code kubectl describe}: scripts swapped or
 * refused, backends going down or coming up, another backend taking the writes. They are derived from the change between two statuses, so that
 * only the leader, which writes the status, records them, once.
 */
final class EventRecorder {
    private static final Logger LOG = Logger.getLogger(EventRecorder.class);

    private final KubernetesClient client;
    private final String source;

    EventRecorder(KubernetesClient client, String source) {
        this.client = client;
        this.source = source;
    }

    void record(MySQLProxy r, MySQLProxyStatus before, MySQLProxyStatus after) {
        MySQLProxyStatus old = before == null ? new MySQLProxyStatus() : before;
        var loadedBefore = condition(old, ListenerTranslator.SCRIPT_LOADED);
        var loadedAfter = condition(after, ListenerTranslator.SCRIPT_LOADED);
        if (after.scriptChecksum != null && !after.scriptChecksum.equals(old.scriptChecksum)) {
            emit(r, "Normal", old.scriptChecksum == null ? "ScriptLoaded" : "ScriptSwapped",
                    loadedAfter != null && "True".equals(loadedAfter.getStatus()) ? loadedAfter.getMessage()
                            : "script " + MySQLProxyReconciler.shortSum(after.scriptChecksum) + " is running");
        }
        if (loadedAfter != null && "False".equals(loadedAfter.getStatus()) && (loadedBefore == null
                || !"False".equals(loadedBefore.getStatus())
                || !Objects.equals(loadedBefore.getMessage(), loadedAfter.getMessage()))) {
            emit(r, "Warning", "ScriptRejected", loadedAfter.getMessage());
        }
        canaryEvents(r, old.canary, after.canary);
        Map<String, String> states = new HashMap<>();
        Map<String, String> roles = new HashMap<>();
        for (MySQLProxyStatus.BackendStatus b : old.backends == null ? List.<MySQLProxyStatus.BackendStatus>of()
                : old.backends) {
            states.put(b.address, b.state);
            roles.put(b.address, b.role);
        }
        for (MySQLProxyStatus.BackendStatus b : after.backends) {
            if ("readWrite".equals(b.role) && "readOnly".equals(roles.get(b.address))) {
                emit(r, "Normal", "PrimaryChanged", "backend " + b.address + " takes the writes now: its server is"
                        + " the one writable server (read_only OFF)");
            }
            String was = states.get(b.address);
            if (was != null && !was.equals(b.state)) {
                boolean up = b.state.equals("up");
                emit(r, up ? "Normal" : "Warning", up ? "BackendUp" : "BackendDown",
                        "backend " + b.address + " (" + b.role + ") is " + b.state + ", was " + was);
            }
        }
    }

    /** A canary started, was rolled back or promoted. */
    private void canaryEvents(MySQLProxy r, MySQLProxyStatus.Canary before, MySQLProxyStatus.Canary after) {
        if (after == null) {
            return;
        }
        boolean same = before != null && Objects.equals(before.checksum, after.checksum);
        if (same && Objects.equals(before.state, after.state)) {
            return;
        }
        String which = "canary " + after.checksumShort;
        switch (after.state) {
            case "rolled back" -> emit(r, "Warning", "CanaryRolledBack", which + " rolled back: it " + after.verdict);
            case "promoted" -> emit(r, "Normal", "CanaryPromoted", which + " promoted: it " + after.verdict);
            default -> emit(r, "Normal", "CanaryStarted", which + " runs on " + after.weight
                    + " % of new connections");
        }
    }

    private static Condition condition(MySQLProxyStatus s, String type) {
        return s.conditions == null ? null
                : s.conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    private void emit(MySQLProxy r, String type, String reason, String message) {
        String now = ZonedDateTime.now().format(DateTimeFormatter.ISO_INSTANT);
        try {
            client.v1().events().inNamespace(r.getMetadata().getNamespace()).resource(new EventBuilder()
                    .withNewMetadata().withGenerateName(r.getMetadata().getName() + ".")
                    .withNamespace(r.getMetadata().getNamespace()).endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(r.getApiVersion())
                            .withKind(r.getKind()).withName(r.getMetadata().getName())
                            .withNamespace(r.getMetadata().getNamespace()).withUid(r.getMetadata().getUid()).build())
                    .withType(type).withReason(reason).withMessage(message).withFirstTimestamp(now)
                    .withLastTimestamp(now).withCount(1).withNewSource().withComponent("mysqlproxy").withHost(source)
                    .endSource().build()).create();
        } catch (RuntimeException e) {
            LOG.debugf("event %s on %s not recorded: %s", reason, r.getMetadata().getName(), e.getMessage());
        }
    }
}
