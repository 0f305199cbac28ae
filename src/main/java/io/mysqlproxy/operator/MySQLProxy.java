package io.mysqlproxy.operator;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A MySQL proxy listener with its backends and Lua script, as users declare it in Kubernetes. */
@Group(MySQLProxy.GROUP)
@Version(MySQLProxy.VERSION)
@Kind("MySQLProxy")
@ShortNames("myp")
@AdditionalPrinterColumn(name = "Port", jsonPath = ".spec.listener.port", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Backends", jsonPath = ".status.backendsSummary", type = AdditionalPrinterColumn.Type.STRING,
        getDescription = "backends up / total")
@AdditionalPrinterColumn(name = "Script", jsonPath = ".status.scriptChecksumShort",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Canary", jsonPath = ".status.canary.state", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class MySQLProxy extends CustomResource<MySQLProxySpec, MySQLProxyStatus> implements Namespaced {
    public static final String GROUP = "mysqlproxy.io";
    public static final String VERSION = "v1alpha1";
}
