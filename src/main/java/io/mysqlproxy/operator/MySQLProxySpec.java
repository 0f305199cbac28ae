package io.mysqlproxy.operator;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What a MySQLProxy resource asks for. Every field is documented in the CRD's schema through these descriptions. */
public class MySQLProxySpec {
    @Required
    @JsonPropertyDescription("Where clients connect.")
    public Listener listener;

    @JsonPropertyDescription("Static backends. May be combined with backendDiscovery; at least one of them is needed.")
    public List<Backend> backends = new ArrayList<>();

    @JsonPropertyDescription("Backends discovered from the EndpointSlices of a Service in the same namespace.")
    public BackendDiscovery backendDiscovery;

    @JsonPropertyDescription("The Lua script (MySQL Proxy 0.8 API) the listener runs. Without it the proxy is transparent.")
    public Script script;

    @JsonPropertyDescription("How the script runs.")
    public Scripting scripting;

    @JsonPropertyDescription("How backends are checked.")
    public HealthCheck healthCheck;

    @JsonPropertyDescription("An admin interface for this listener (MySQL protocol). Off unless given.")
    public Admin admin;

    @JsonPropertyDescription("The Service the operator creates in front of the proxy pods for this listener.")
    public Service service;

    @JsonPropertyDescription("Multiplexing: clients share backend connections between transactions. Without it, the proxy's --multiplexing setting applies.")
    public Multiplexing multiplexing;

    @JsonPropertyDescription("How statements are spread over the backends without a script: read/write splitting.")
    public Routing routing;

    public static class Routing {
        @Default("none")
        @ValidationRule(value = "self in ['none', 'read-write-split']", message = "mode must be none or read-write-split")
        @JsonPropertyDescription("none: statements go where the client logged in; read-write-split: autocommit reads go to a readOnly backend, writes, transactions, locking reads and session state to the readWrite one; each client keeps a connection to both, or borrows them from pools when spec.multiplexing is on.")
        public String mode;

        @Min(0)
        @JsonPropertyDescription("Seconds of replication lag beyond which (or while it is unknown) a replica gets no reads; unset: no limit. Needs spec.healthCheck.credentialsSecretRef.")
        public Integer maxReplicationLagSeconds;

        @Default("static")
        @ValidationRule(value = "self in ['static', 'read-only-flag']", message = "backendRoleDiscovery must be static or read-only-flag")
        @JsonPropertyDescription("static: backends keep the role they are given; read-only-flag: every backend's role follows its server's read_only, as role auto does. Needs spec.healthCheck.credentialsSecretRef.")
        public String backendRoleDiscovery;

        @Default("none")
        @ValidationRule(value = "self in ['none', 'local', 'global']", message = "causalReads must be none, local or global")
        @JsonPropertyDescription("none: replicas answer with what they have; local: a read that follows a write of the same client waits until the replica has applied it; global: every read waits until the replica has applied what the primary had committed when the read arrived. Needs GTIDs (MariaDB).")
        public String causalReads;

        @Min(0)
        @Default("10")
        @JsonPropertyDescription("Seconds a replica may take to catch up for a causal read; after that the read goes to the readWrite backend.")
        public Double causalReadsTimeoutSeconds;

        @Default("false")
        @JsonPropertyDescription("Whether a transaction cut by the loss of its primary is replayed on the next primary: the client goes on unaware when every replayed result matches, and gets an error otherwise.")
        public Boolean transactionReplay;

        @Min(0)
        @Default("1048576")
        @JsonPropertyDescription("Bytes of statements kept per transaction for a replay; a longer transaction is not replayed.")
        public Long transactionReplayMaxBytes;

        @Min(0)
        @Default("30")
        @JsonPropertyDescription("Seconds a cut transaction waits for a primary to be replayed on.")
        public Double transactionReplayTimeoutSeconds;
    }

    public static class Multiplexing {
        @Default("true")
        @JsonPropertyDescription("Whether this listener multiplexes.")
        public Boolean enabled;

        @JsonPropertyDescription("Users whose clients keep a backend connection of their own.")
        public List<String> excludeUsers;

        @Min(1)
        @Default("200")
        @JsonPropertyDescription("Backend connections opened per backend and proxy pod at most; logins beyond wait for a free one.")
        public Integer maxConnections;

        @Min(1)
        @Default("10000")
        @JsonPropertyDescription("Milliseconds a statement (or login) waits for a free backend connection before error 1040.")
        public Integer waitTimeoutMillis;
    }

    public static class Listener {
        @Required
        @Min(1)
        @Max(65535)
        @JsonPropertyDescription("TCP port the proxy listens on, in every proxy pod.")
        public Integer port;

        @Min(1)
        @JsonPropertyDescription("Client connections accepted at once per proxy pod; more get error 1040. Default: what the pod's file-descriptor limit allows (two descriptors per client).")
        public Integer maxConnections;

        @Min(1)
        @JsonPropertyDescription("Logins in progress at once per proxy pod; a client beyond waits up to loginQueueTimeoutMillis, then gets error 1040. Default: an eighth of what the pod's file-descriptor limit allows clients, between 16 and 256.")
        public Integer maxLogins;

        @Min(0)
        @Default("1000")
        @JsonPropertyDescription("Milliseconds a client beyond maxLogins waits for a login to end before error 1040; 0 refuses it at once.")
        public Integer loginQueueTimeoutMillis;

        @Default("first-available")
        @ValidationRule(value = "self in ['first-available', 'round-robin', 'least-connections', 'weighted']",
                message = "policy must be first-available, round-robin, least-connections or weighted")
        @JsonPropertyDescription("How new connections pick a readWrite backend: first-available, round-robin, least-connections or weighted.")
        public String policy;

        @JsonPropertyDescription("TLS toward clients.")
        public ListenerTls tls;
    }

    public static class ListenerTls {
        @JsonPropertyDescription("A kubernetes.io/tls Secret (tls.crt, tls.key in PKCS#8) in the same namespace.")
        public String secretName;

        @Default("optional")
        @ValidationRule(value = "self in ['disabled', 'optional', 'required']",
                message = "mode must be disabled, optional or required")
        @JsonPropertyDescription("disabled, optional (clients choose) or required (clients without TLS are refused).")
        public String mode;
    }

    public static class Backend {
        @Required
        @Pattern("^[A-Za-z0-9._\\-\\[\\]:]+:[0-9]{1,5}$")
        @JsonPropertyDescription("host:port of a MySQL or MariaDB server.")
        public String address;

        @Default("readWrite")
        @ValidationRule(value = "self in ['readWrite', 'readOnly', 'auto']",
                message = "role must be readWrite, readOnly or auto")
        @JsonPropertyDescription("readWrite (new connections go there), readOnly (for scripts, e.g. read/write splitting), or auto: readWrite while its server is the one writable server (read_only OFF) among the auto backends, else readOnly; needs spec.healthCheck.credentialsSecretRef.")
        public String role;

        @Min(1)
        @Default("1")
        @JsonPropertyDescription("Share of new connections under the weighted policy.")
        public Integer weight;
    }

    public static class BackendDiscovery {
        @Required
        @JsonPropertyDescription("Name of a Service in the resource's namespace whose EndpointSlices list the backends.")
        public String service;

        @JsonPropertyDescription("Port of the EndpointSlices to use, by name or number; default: the first.")
        public String port;

        @JsonPropertyDescription("Label of the backend pods that says their role; without it every endpoint is readWrite.")
        public String roleLabel;

        @Default("primary")
        @JsonPropertyDescription("Value of roleLabel that marks a readWrite backend; other values are readOnly.")
        public String readWriteValue;
    }

    public static class Script {
        @Required
        @JsonPropertyDescription("The ConfigMap holding the script; its other keys NAME.lua are modules for require(\"NAME\").")
        public ConfigMapKeyRef configMapRef;

        @JsonPropertyDescription("A new version of the script tried on a share of new connections first: rolled back"
                + " when it fails more often than the script, promoted after a while if asked.")
        public Canary canary;
    }

    public static class Canary {
        @Required
        @JsonPropertyDescription("The ConfigMap holding the canary script (its other keys NAME.lua are its modules);"
                + " a change of it tries the canary again.")
        public ConfigMapKeyRef configMapRef;

        @Min(0)
        @Max(100)
        @Default("10")
        @JsonPropertyDescription("Percent of new client connections that run the canary.")
        public Integer weight;

        @Min(0)
        @Max(1)
        @Default("0.01")
        @JsonPropertyDescription("How much more often than the script, per query, the canary may fail a hook or"
                + " refuse a query with an error of its own before it is rolled back.")
        public Double maxErrorRate;

        @Min(1)
        @Default("100")
        @JsonPropertyDescription("Queries the canary runs before it is judged or promoted.")
        public Long minQueries;

        @Pattern("^(manual|after [0-9]+(s|m|h))$")
        @Default("manual")
        @JsonPropertyDescription("manual (it stays a canary), or 'after 10m' (s, m or h): then it becomes the"
                + " script of every connection if it was not rolled back.")
        public String promote;
    }

    public static class ConfigMapKeyRef {
        @Required
        @JsonPropertyDescription("ConfigMap name, in the resource's namespace.")
        public String name;

        @Default("main.lua")
        @JsonPropertyDescription("Key of the entry script.")
        public String key;
    }

    public static class Scripting {
        @Min(0)
        @Default("0")
        @JsonPropertyDescription("Lua states (one thread each); 0: one per event-loop thread.")
        public Integer threads;

        @Default("true")
        @JsonPropertyDescription("Keep the sandbox (no io, os.execute, luajava, file loading). Turn off only for trusted scripts.")
        public Boolean sandbox;

        @JsonPropertyDescription("Environment variables of the proxy's container that os.getenv may read in the sandbox; every other name reads as nil (none by default, so the pod's secrets stay out of scripts).")
        public List<String> allowedEnv;
    }

    public static class HealthCheck {
        @Min(10)
        @Default("1000")
        @JsonPropertyDescription("Milliseconds between checks of each backend.")
        public Integer intervalMillis;

        @Min(10)
        @Default("1000")
        @JsonPropertyDescription("Milliseconds a check may take.")
        public Integer timeoutMillis;

        @Min(1)
        @Default("2")
        @JsonPropertyDescription("Failed checks (or failed client connections) that mark a backend down.")
        public Integer failuresToDown;

        @Min(1)
        @Default("1")
        @JsonPropertyDescription("Passed checks that mark a down backend up.")
        public Integer successesToUp;

        @JsonPropertyDescription("Secret with keys username and password: checks log in and run SELECT 1. Without it they read the greeting only.")
        public SecretRef credentialsSecretRef;
    }

    public static class Admin {
        @Required
        @Min(1)
        @Max(65535)
        @JsonPropertyDescription("TCP port of the admin interface.")
        public Integer port;

        @Required
        @JsonPropertyDescription("Secret with keys username and password for the admin interface.")
        public SecretRef credentialsSecretRef;
    }

    public static class SecretRef {
        @Required
        @JsonPropertyDescription("Secret name, in the resource's namespace.")
        public String name;
    }

    public static class Service {
        @Default("true")
        @JsonPropertyDescription("Create a Service for this listener (owned by the resource, deleted with it).")
        public Boolean create;

        @Default("ClusterIP")
        @ValidationRule(value = "self in ['ClusterIP', 'NodePort', 'LoadBalancer']",
                message = "type must be ClusterIP, NodePort or LoadBalancer")
        @JsonPropertyDescription("ClusterIP, NodePort or LoadBalancer.")
        public String type;

        @JsonPropertyDescription("Annotations of the Service (for example for a cloud load balancer).")
        public Map<String, String> annotations;
    }
}
