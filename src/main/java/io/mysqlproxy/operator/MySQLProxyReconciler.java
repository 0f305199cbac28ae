package io.mysqlproxy.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.mysqlproxy.backend.BackendRole;
import io.mysqlproxy.config.ListenerConfig;
import io.mysqlproxy.config.ListenerRegistry;
import io.mysqlproxy.config.RunningListeners;
import io.mysqlproxy.scripting.ScriptException;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Applies MySQLProxy resources to this proxy process. Every replica runs it (no leader election for applying), so
 * every replica opens the listener, and marks the generation it applied in an annotation
 * ({@code applied.mysqlproxy.io/POD}). The elected leader alone writes status (folding those marks into
 * {@code status.replicas}), the resource's Service and Events. It follows the ConfigMaps and EndpointSlices the
 * resources name. A deleted resource's listener is closed by a sweep over the resource cache rather than a
 * finalizer, because every replica must close its own listener and a finalizer would let only one of them know.
 */
@ControllerConfiguration(name = MySQLProxyReconciler.NAME)
public class MySQLProxyReconciler implements Reconciler<MySQLProxy> {
    static final String NAME = "mysqlproxy";
    private static final Logger LOG = Logger.getLogger(MySQLProxyReconciler.class);
    /** Backend states change without events; the status is refreshed this often. */
    static final Duration REFRESH = Duration.ofSeconds(10);

    @Inject
    RunningListeners running;

    @Inject
    KubernetesClient client;

    /** How often listeners of deleted resources are looked for. */
    static final long SWEEP_MILLIS = 1000;

    static final String APPLIED_PREFIX = "applied.mysqlproxy.io/";

    private ListenerTranslator translator;
    private ProxyPods pods;
    private Leadership leadership;
    private ServiceWriter services;
    private EventRecorder events;
    /** The resources this replica applied, with their uid (to recognise their Service once they are gone). */
    private final Map<ResourceID, String> applied = new ConcurrentHashMap<>();
    private ScheduledExecutorService sweeper;

    /** Whether a resource's script or its canary comes from ConfigMap {@code name}. */
    private static boolean readsConfigMap(MySQLProxySpec.Script script, String name) {
        return script != null && (script.configMapRef != null && name.equals(script.configMapRef.name)
                || script.canary != null && script.canary.configMapRef != null
                && name.equals(script.canary.configMapRef.name));
    }

    @Override
    public List<EventSource<?, MySQLProxy>> prepareEventSources(EventSourceContext<MySQLProxy> context) {
        InformerEventSource<ConfigMap, MySQLProxy> configMaps = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(ConfigMap.class, MySQLProxy.class)
                        .withSecondaryToPrimaryMapper(cm -> referencing(context, cm.getMetadata().getNamespace(),
                                r -> readsConfigMap(r.getSpec().script, cm.getMetadata().getName())))
                        .build(), context);
        InformerEventSource<EndpointSlice, MySQLProxy> slices = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(EndpointSlice.class, MySQLProxy.class)
                        .withSecondaryToPrimaryMapper(s -> referencing(context, s.getMetadata().getNamespace(),
                                r -> r.getSpec().backendDiscovery != null && Objects.equals(
                                        r.getSpec().backendDiscovery.service, s.getMetadata().getLabels() == null ? null
                                                : s.getMetadata().getLabels().get(BackendDiscoverer.SERVICE_NAME_LABEL))))
                        .build(), context);
        InformerEventSource<Secret, MySQLProxy> secrets = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Secret.class, MySQLProxy.class)
                        .withSecondaryToPrimaryMapper(s -> referencing(context, s.getMetadata().getNamespace(),
                                r -> secretNames(r).contains(s.getMetadata().getName())))
                        .build(), context);
        startSweeper(context.getPrimaryCache());
        parts().leadership.start();
        return List.of(configMaps, slices, secrets);
    }

    /** The Secrets a resource reads: TLS, health-check and admin credentials. */
    private static Set<String> secretNames(MySQLProxy r) {
        Set<String> out = new HashSet<>();
        MySQLProxySpec s = r.getSpec();
        if (s.listener != null && s.listener.tls != null && s.listener.tls.secretName != null) {
            out.add(s.listener.tls.secretName);
        }
        if (s.healthCheck != null && s.healthCheck.credentialsSecretRef != null) {
            out.add(s.healthCheck.credentialsSecretRef.name);
        }
        if (s.admin != null && s.admin.credentialsSecretRef != null) {
            out.add(s.admin.credentialsSecretRef.name);
        }
        return out;
    }

    private synchronized void startSweeper(IndexedResourceCache<MySQLProxy> cache) {
        if (sweeper != null) {
            return;
        }
        sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mysqlproxy-sweeper");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                sweep(cache);
            } catch (RuntimeException e) {
                LOG.warnf(e, "closing listeners of deleted MySQLProxy resources failed");
            }
        }, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void sweep(IndexedResourceCache<MySQLProxy> cache) {
        ListenerRegistry registry = running.registry();
        for (Map.Entry<ResourceID, String> e : applied.entrySet()) {
            ResourceID id = e.getKey();
            if (cache.get(id).isEmpty()) {
                applied.remove(id);
                String name = id.getNamespace().orElse("") + "/" + id.getName();
                if (registry != null && registry.remove(name)) {
                    LOG.infof("MySQLProxy %s deleted: its listener drains and closes", name);
                }
                if (leadership.isLeader()) {
                    // the garbage collector deletes it too (owner reference); this covers clusters where it lags
                    services.deleteOwned(id.getNamespace().orElse(""), id.getName(), e.getValue());
                }
            }
        }
    }

    private static Set<ResourceID> referencing(EventSourceContext<MySQLProxy> context, String ns,
                                               Predicate<MySQLProxy> refers) {
        return context.getPrimaryCache().list(ns).filter(r -> r.getSpec() != null && refers.test(r))
                .map(ResourceID::fromResource).collect(Collectors.toSet());
    }

    @Override
    public UpdateControl<MySQLProxy> reconcile(MySQLProxy resource, Context<MySQLProxy> context) {
        ListenerRegistry registry = running.registry();
        if (registry == null) {
            return UpdateControl.<MySQLProxy>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
        }
        String name = ListenerTranslator.listenerName(resource);
        LOG.debugf("reconciling %s (generation %d)", name, resource.getMetadata().getGeneration());
        applied.put(ResourceID.fromResource(resource), String.valueOf(resource.getMetadata().getUid()));
        List<Condition> conditions = new ArrayList<>();
        apply(resource, registry, conditions);
        Optional<ListenerRegistry.ListenerStatus> now = registry.status(name);
        if (now.isPresent() && conditions.stream().noneMatch(c -> c.getType().equals(ListenerTranslator.READY))) {
            markApplied(resource);
        }
        parts();
        if (!leadership.isLeader()) {
            return UpdateControl.<MySQLProxy>noUpdate().rescheduleAfter(REFRESH);
        }
        try {
            services.write(resource, pods.selector());
        } catch (SpecException e) {
            conditions.add(condition(resource, e.condition(), false, e.reason(), e.getMessage()));
        } catch (RuntimeException e) {
            conditions.add(condition(resource, ListenerTranslator.READY, false, "ServiceFailed",
                    "the Service could not be written: " + e.getMessage()));
        }
        MySQLProxyStatus status = status(resource, now, conditions);
        status.replicas = replicas(resource);
        if (sameStatus(resource.getStatus(), status)) {
            return UpdateControl.<MySQLProxy>noUpdate().rescheduleAfter(REFRESH);
        }
        events.record(resource, resource.getStatus(), status);
        resource.setStatus(status);
        return UpdateControl.patchStatus(resource).rescheduleAfter(REFRESH);
    }

    /** Records on the resource that this replica runs its current generation. */
    private void markApplied(MySQLProxy r) {
        String key = APPLIED_PREFIX + pods.name();
        String generation = String.valueOf(r.getMetadata().getGeneration());
        Map<String, String> annotations = r.getMetadata().getAnnotations();
        if (annotations != null && generation.equals(annotations.get(key))) {
            return;
        }
        try {
            client.resources(MySQLProxy.class).inNamespace(r.getMetadata().getNamespace())
                    .withName(r.getMetadata().getName()).patch(PatchContext.of(PatchType.JSON_MERGE),
                            "{\"metadata\":{\"annotations\":{\"" + key + "\":\"" + generation + "\"}}}");
            if (r.getMetadata().getAnnotations() == null) {
                r.getMetadata().setAnnotations(new HashMap<>());
            }
            r.getMetadata().getAnnotations().put(key, generation);
        } catch (RuntimeException e) {
            LOG.debugf("cannot mark %s applied by %s: %s", r.getMetadata().getName(), pods.name(), e.getMessage());
        }
    }

    /** Proxy pods that exist, and those whose mark says they run the current generation. */
    private MySQLProxyStatus.Replicas replicas(MySQLProxy r) {
        List<String> siblings = pods.siblings();
        Map<String, String> annotations = r.getMetadata().getAnnotations() == null ? Map.of()
                : r.getMetadata().getAnnotations();
        String generation = String.valueOf(r.getMetadata().getGeneration());
        MySQLProxyStatus.Replicas out = new MySQLProxyStatus.Replicas();
        out.desired = siblings.size();
        out.applied = (int) siblings.stream().filter(p -> generation.equals(annotations.get(APPLIED_PREFIX + p)))
                .count();
        List<String> stale = annotations.keySet().stream().filter(k -> k.startsWith(APPLIED_PREFIX)
                && !siblings.contains(k.substring(APPLIED_PREFIX.length()))).toList();
        if (!stale.isEmpty() && !pods.selector().isEmpty()) {
            StringBuilder patch = new StringBuilder("{\"metadata\":{\"annotations\":{");
            for (int i = 0; i < stale.size(); i++) {
                patch.append(i == 0 ? "" : ",").append('"').append(stale.get(i)).append("\":null");
            }
            patch.append("}}}");
            try {
                client.resources(MySQLProxy.class).inNamespace(r.getMetadata().getNamespace())
                        .withName(r.getMetadata().getName())
                        .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
            } catch (RuntimeException e) {
                LOG.debugf("cannot remove marks of gone pods from %s: %s", r.getMetadata().getName(), e.getMessage());
            }
        }
        return out;
    }

    /** Applies what can be applied and records in {@code conditions} what could not, with the reason. */
    private void apply(MySQLProxy resource, ListenerRegistry registry, List<Condition> conditions) {
        String name = ListenerTranslator.listenerName(resource);
        Optional<ListenerRegistry.ListenerStatus> now = registry.status(name);
        ListenerTranslator.Translation t;
        try {
            t = translator().translate(resource);
        } catch (SpecException e) {
            conditions.add(condition(resource, e.condition(), false, e.reason(), e.getMessage()));
            return;
        }
        ListenerConfig wanted = t.config();
        if (t.scriptProblem() != null) {
            conditions.add(condition(resource, ListenerTranslator.SCRIPT_LOADED, false, t.scriptProblem().reason(),
                    t.scriptProblem().getMessage() + keeping(now)));
            if (now.isEmpty()) {
                return; // without its script the listener would relay unrouted: it does not open
            }
            wanted = wanted.withScript(now.get().config().script());
        }
        try {
            registry.put(wanted).join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ScriptException && now.isPresent()) {
                conditions.add(condition(resource, ListenerTranslator.SCRIPT_LOADED, false, "ScriptRejected",
                        cause.getMessage() + keeping(now)));
                try {
                    registry.put(wanted.withScript(now.get().config().script())).join();
                } catch (CompletionException again) {
                    conditions.add(condition(resource, ListenerTranslator.READY, false, "ApplyFailed",
                            again.getCause().getMessage()));
                }
            } else if (cause instanceof ScriptException) {
                conditions.add(condition(resource, ListenerTranslator.SCRIPT_LOADED, false, "ScriptRejected",
                        cause.getMessage()));
            } else {
                conditions.add(condition(resource, ListenerTranslator.READY, false, "ApplyFailed",
                        String.valueOf(cause.getMessage())));
            }
        }
    }

    private static String keeping(Optional<ListenerRegistry.ListenerStatus> now) {
        return now.map(s -> s.scriptChecksum() == null ? "" : "; the running script " + shortSum(s.scriptChecksum())
                + " stays").orElse("");
    }

    private MySQLProxyStatus status(MySQLProxy r, Optional<ListenerRegistry.ListenerStatus> now,
                                    List<Condition> problems) {
        MySQLProxyStatus s = new MySQLProxyStatus();
        s.observedGeneration = r.getMetadata().getGeneration();
        List<Condition> previous = r.getStatus() == null ? List.of() : r.getStatus().conditions;
        Condition scriptLoaded = find(problems, ListenerTranslator.SCRIPT_LOADED);
        if (scriptLoaded == null && now.isPresent()) {
            scriptLoaded = now.get().scriptChecksum() == null
                    ? condition(r, ListenerTranslator.SCRIPT_LOADED, true, "NoScript", "no script: the listener relays transparently")
                    : condition(r, ListenerTranslator.SCRIPT_LOADED, true, "Loaded", "script "
                    + now.get().config().script().name() + " " + shortSum(now.get().scriptChecksum()) + " is running");
        }
        Condition backends = find(problems, ListenerTranslator.BACKENDS_AVAILABLE);
        if (backends == null && now.isPresent()) {
            long up = now.get().backendsTakingConnections();
            int total = now.get().backends().size();
            backends = condition(r, ListenerTranslator.BACKENDS_AVAILABLE, up > 0, up > 0 ? "BackendsUp" : "NoBackendUp",
                    up + " of " + total + " backends take connections");
        }
        Condition ready = find(problems, ListenerTranslator.READY);
        if (ready == null) {
            boolean ok = now.isPresent() && scriptLoaded != null && "True".equals(scriptLoaded.getStatus())
                    && backends != null && "True".equals(backends.getStatus());
            ready = condition(r, ListenerTranslator.READY, ok, ok ? "Serving" : "NotServing", now.isEmpty()
                    ? "the listener is not open" : ok ? "listening on port " + now.get().config().address().port()
                    : "see the ScriptLoaded and BackendsAvailable conditions");
        }
        Condition writer = now.map(n -> singleWriter(r, n)).orElse(null);
        Condition canary = now.map(n -> canaryHealthy(r, n)).orElse(null);
        for (Condition c : new Condition[] {ready, scriptLoaded, backends, writer, canary}) {
            if (c != null) {
                Condition before = find(previous, c.getType());
                if (before != null && Objects.equals(before.getStatus(), c.getStatus())) {
                    c.setLastTransitionTime(before.getLastTransitionTime());
                }
                s.conditions.add(c);
            }
        }
        now.ifPresent(n -> {
            s.scriptChecksum = n.scriptChecksum();
            s.scriptChecksumShort = n.scriptChecksum() == null ? "-" : shortSum(n.scriptChecksum());
            s.backendsSummary = n.backendsTakingConnections() + "/" + n.backends().size();
            if (n.canary() != null) {
                s.canary = new MySQLProxyStatus.Canary();
                s.canary.checksum = n.canary().checksum();
                s.canary.checksumShort = shortSum(n.canary().checksum());
                s.canary.state = n.canary().state();
                s.canary.weight = n.canary().weightPercent();
                s.canary.queries = n.canary().queries();
                s.canary.failures = n.canary().failures();
                s.canary.verdict = n.canary().verdict().isEmpty() ? null : n.canary().verdict();
            }
            for (ListenerRegistry.BackendStatus b : n.backends()) {
                MySQLProxyStatus.BackendStatus bs = new MySQLProxyStatus.BackendStatus();
                bs.address = b.address();
                bs.role = "rw".equals(b.role()) ? "readWrite" : "readOnly";
                bs.state = b.state();
                s.backends.add(bs);
            }
        });
        return s;
    }

    /** With backends of role auto: whether one server alone takes the writes; null without such backends. */
    private static Condition singleWriter(MySQLProxy r, ListenerRegistry.ListenerStatus now) {
        if (now.config().backends().stream().noneMatch(b -> b.role() == BackendRole.AUTO)) {
            return null;
        }
        if (now.primaryProblem() != null) {
            return condition(r, ListenerTranslator.SINGLE_WRITER, false, "PrimaryUnclear", now.primaryProblem());
        }
        String primary = now.backends().stream().filter(b -> BackendRole.READ_WRITE.label().equals(b.role()))
                .map(ListenerRegistry.BackendStatus::address).findFirst().orElse("?");
        return condition(r, ListenerTranslator.SINGLE_WRITER, true, "OnePrimary", "backend " + primary
                + " takes the writes (read_only OFF)");
    }

    /** With a canary: False once it was rolled back (the message has the figures); null without one. */
    private static Condition canaryHealthy(MySQLProxy r, ListenerRegistry.ListenerStatus now) {
        ListenerRegistry.CanaryStatus c = now.canary();
        if (c == null) {
            return null;
        }
        String which = "canary " + shortSum(c.checksum());
        return switch (c.state()) {
            case "rolled back" -> condition(r, ListenerTranslator.CANARY_HEALTHY, false, "RolledBack",
                    which + " rolled back: it " + c.verdict());
            case "promoted" -> condition(r, ListenerTranslator.CANARY_HEALTHY, true, "Promoted",
                    which + " promoted: it " + c.verdict());
            default -> condition(r, ListenerTranslator.CANARY_HEALTHY, true, "Running", which + " runs on "
                    + c.weightPercent() + " % of new connections: " + c.failures() + " of " + c.queries()
                    + " queries failed");
        };
    }

    private static Condition find(List<Condition> list, String type) {
        return list == null ? null : list.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    private static Condition condition(MySQLProxy r, String type, boolean status, String reason, String message) {
        return new ConditionBuilder().withType(type).withStatus(status ? "True" : "False").withReason(reason)
                .withMessage(message).withObservedGeneration(r.getMetadata().getGeneration())
                .withLastTransitionTime(ZonedDateTime.now().format(DateTimeFormatter.ISO_INSTANT)).build();
    }

    /** Equal but for the times conditions were computed: nothing to write. */
    private static boolean sameStatus(MySQLProxyStatus a, MySQLProxyStatus b) {
        if (a == null) {
            return false;
        }
        return Objects.equals(a.observedGeneration, b.observedGeneration)
                && Objects.equals(a.scriptChecksum, b.scriptChecksum)
                && Objects.equals(a.backendsSummary, b.backendsSummary)
                && Objects.equals(canaryKey(a.canary), canaryKey(b.canary))
                && Objects.equals(a.replicas == null ? null : a.replicas.desired + "/" + a.replicas.applied,
                b.replicas == null ? null : b.replicas.desired + "/" + b.replicas.applied)
                && Objects.equals(describe(a.backends), describe(b.backends))
                && Objects.equals(conditionsKey(a.conditions), conditionsKey(b.conditions));
    }

    private static String canaryKey(MySQLProxyStatus.Canary c) {
        return c == null ? null : c.checksum + "/" + c.state + "/" + c.weight + "/" + c.queries + "/" + c.failures;
    }

    private static List<String> describe(List<MySQLProxyStatus.BackendStatus> backends) {
        return backends == null ? List.of() : backends.stream().map(b -> b.address + "/" + b.role + "/" + b.state).toList();
    }

    private static List<String> conditionsKey(List<Condition> conditions) {
        return conditions == null ? List.of() : conditions.stream()
                .map(c -> c.getType() + "/" + c.getStatus() + "/" + c.getReason() + "/" + c.getMessage()).toList();
    }

    static String shortSum(String checksum) {
        String hex = checksum.startsWith("sha256:") ? checksum.substring(7) : checksum;
        return hex.substring(0, Math.min(12, hex.length()));
    }

    private ListenerTranslator translator() {
        return parts().translator;
    }

    /** Built on first use, once the Kubernetes client is injected. */
    private synchronized MySQLProxyReconciler parts() {
        if (translator == null) {
            translator = new ListenerTranslator(client, Path.of(System.getProperty("java.io.tmpdir"), "mysqlproxy-tls"));
            pods = new ProxyPods(client);
            leadership = new Leadership(client, pods);
            services = new ServiceWriter(client);
            events = new EventRecorder(client, pods.name());
        }
        return this;
    }

    /** Gives up the lease (another replica takes over at once) and stops sweeping. */
    @PreDestroy
    synchronized void stop() {
        if (leadership != null) {
            leadership.stop();
        }
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
    }

}
