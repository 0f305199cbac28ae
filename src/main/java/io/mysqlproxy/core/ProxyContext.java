package io.mysqlproxy.core;

import io.mysqlproxy.config.BackendTls;
import io.mysqlproxy.config.HealthCheck;
import io.mysqlproxy.config.Limits;
import io.mysqlproxy.config.MonitoringConfig;
import io.mysqlproxy.config.PoolConfig;
import io.mysqlproxy.metrics.ProxyMetrics;
import io.netty.handler.ssl.SslContext;
import io.vertx.core.Vertx;

/**
 * What every listener shares: sockets, limits, TLS toward backends, the meters, the defaults a listener
 * without its own health check uses, how backend connections are opened, and the clocks of the sessions' timeouts.
 */
record ProxyContext(Vertx vertx, NettyTransport transport, Limits limits, HealthCheck healthCheck,
                    BackendTls backendTls, SslContext backendSsl, PoolConfig pool, ProxyMetrics metrics,
                    MonitoringConfig monitoring, BackendConnector connector, SessionClock.PerLoop clocks) {
    ProxyContext(Vertx vertx, NettyTransport transport, Limits limits, HealthCheck healthCheck, BackendTls backendTls,
                 SslContext backendSsl, PoolConfig pool, ProxyMetrics metrics, MonitoringConfig monitoring) {
        this(vertx, transport, limits, healthCheck, backendTls, backendSsl, pool, metrics, monitoring,
                BackendConnector.sockets(transport, limits), new SessionClock.PerLoop(limits));
    }
}
