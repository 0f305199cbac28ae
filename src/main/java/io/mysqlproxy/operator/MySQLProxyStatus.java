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

    @JsonPropertyDescription("The canary script tried beside the script (spec.script.canary), as this proxy sees it.")
    public Canary canary;

    public static class Canary {
        @JsonPropertyDescription("sha256 of the canary script and its modules.")
        public String checksum;
        @JsonPropertyDescription("The first characters of checksum.")
        public String checksumShort;
        @JsonPropertyDescription("running, rolled back or promoted.")
        public String state;
        @JsonPropertyDescription("Percent of new client connections that run it.")
        public Integer weight;
        @JsonPropertyDescription("Queries it ran.")
        public Long queries;
        @JsonPropertyDescription("Queries it failed: Lua errors and errors it answered itself.")
        public Long failures;
        @JsonPropertyDescription("Why it was rolled back or promoted, with the figures.")
        public String verdict;
    }

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
