package io.mysqlproxy.operator;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.List;

/** What is running for a MySQLProxy resource, as the proxy reports it. */
public class MySQLProxyStatus {
    @JsonPropertyDescription("The generation of the spec this status describes.")
    public Long observedGeneration;

    @JsonPropertyDescription("Ready, ScriptLoaded and BackendsAvailable, in the standard condition shape.")
    public List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("sha256 of the running script and its modules.")
    public String scriptChecksum;

    @JsonPropertyDescription("The first characters of scriptChecksum, for kubectl get.")
    public String scriptChecksumShort;

    @JsonPropertyDescription("Backends up / total, for kubectl get.")
    public String backendsSummary;

    @JsonPropertyDescription("Each backend with its role and state as the proxy sees it.")
    public List<BackendStatus> backends = new ArrayList<>();

    @JsonPropertyDescription("Proxy pods that should run this resource, and those running its current generation.")
    public Replicas replicas;

    public static class BackendStatus {
        public String address;
        public String role;
        @JsonPropertyDescription("unknown, up, down or offline.")
        public String state;
    }

    public static class Replicas {
        public Integer desired;
        public Integer applied;
    }
}
