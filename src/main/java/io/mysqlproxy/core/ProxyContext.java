package io.mysqlproxy.core;

import io.mysqlproxy.config.BackendTls;
import io.mysqlproxy.config.HealthCheck;
import io.mysqlproxy.config.Limits;
import io.mysqlproxy.config.MonitoringConfig;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.metrics.ProxyMetrics;
import io.mysqlproxy.scripting.ScriptRuntime;
import io.netty.handler.ssl.SslContext;

/**
 * What every session of every listener shares: sockets, limits, TLS toward backends, the script (or null), and
 * the meters.
 */
record ProxyContext(NettyTransport transport, Limits limits, HealthCheck healthCheck, BackendTls backendTls,
                    SslContext backendSsl, PoolConfig pool, ScriptRuntime scripts, ProxyMetrics metrics,
                    MonitoringConfig monitoring) {
}
