package io.mysqlproxy.admin;

import io.mysqlproxy.config.AdminConfig;
import io.mysqlproxy.core.AdminView;
import io.mysqlproxy.metrics.ProxyMetrics;
import io.mysqlproxy.scripting.AdminApi;
import io.mysqlproxy.scripting.HookObserver;
import io.mysqlproxy.scripting.Script;
import io.mysqlproxy.scripting.ScriptCompiler;
import io.mysqlproxy.scripting.ScriptRuntime;
import io.mysqlproxy.scripting.ScriptingOptions;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The admin interface: a listener speaking the MySQL protocol whose queries an admin Lua script answers, with
 * the proxy's state reachable through {@link AdminApi}. It has its own single Lua thread, so a slow admin query
 * never delays the proxy's scripts.
 */
public final class AdminServer {
    private static final Logger LOG = Logger.getLogger(AdminServer.class);
    private static final String BUNDLED_SCRIPT = "/io/mysqlproxy/admin/admin.lua";

    private final AdminConfig config;
    private final ProxyMetrics metrics;
    private final ScriptRuntime scripts;
    private final LoginThrottle throttle;
    private final Set<AdminSession> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicLong ids = new AtomicLong();
    private Channel serverChannel;

    /**
     * @param scope the one listener this interface sees and changes (a MySQLProxy resource's own admin port), or
     *              null for the whole proxy
     */
    public AdminServer(AdminConfig config, AdminView proxy, String scope, ProxyMetrics metrics) {
        AdminApi api = new AdminState(proxy, metrics.digests(), config.settings(), scope);
        this.config = config;
        this.metrics = metrics;
        this.throttle = new LoginThrottle(config.maxFailedLogins(), AdminConfig.BLOCK_MILLIS,
                System::currentTimeMillis);
        Script script = config.script() == null ? bundled() : new ScriptCompiler().compileFile(config.script());
        ScriptingOptions options = new ScriptingOptions(1, true, ScriptingOptions.DEFAULTS.maxInstructions(),
                ScriptingOptions.DEFAULTS.maxMillis(), false);
        this.scripts = new ScriptRuntime(options, 1, script, HookObserver.NONE, api);
        scripts.check(script);
    }

    private static Script bundled() {
        try (InputStream in = AdminServer.class.getResourceAsStream(BUNDLED_SCRIPT)) {
            if (in == null) {
                throw new IllegalStateException("the bundled admin script is missing from the build");
            }
            return new ScriptCompiler().compile(new String(in.readAllBytes(), StandardCharsets.UTF_8), "admin.lua",
                    null);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the bundled admin script: " + e.getMessage(), e);
        }
    }

    /** Binds the admin address on the proxy's event loops; fails when it cannot. */
    public void start(EventLoopGroup acceptors, EventLoopGroup loops,
                      ChannelFactory<? extends ServerChannel> channels) {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptors, loops)
                .channelFactory(channels)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        AdminSession session = new AdminSession(AdminServer.this, config, ids.incrementAndGet());
                        sessions.add(session);
                        ch.pipeline().addLast(session);
                    }
                });
        try {
            serverChannel = bootstrap.bind(config.address().host(), config.address().port()).sync().channel();
        } catch (Exception e) {
            scripts.close();
            throw new IllegalStateException("admin interface cannot bind " + config.address() + ": "
                    + e.getMessage(), e);
        }
        LOG.infof("admin interface on %s (user %s%s)", serverChannel.localAddress(), config.username(),
                config.password().isEmpty() ? "; no --admin-password set: every login is refused" : "");
    }

    public AdminConfig config() {
        return config;
    }

    public int boundPort() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** Closes the admin listener, its sessions and its Lua thread. */
    public void stop() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        sessions.forEach(AdminSession::close);
        scripts.close();
    }

    ScriptRuntime scripts() {
        return scripts;
    }

    /** Whether the admin script's Lua thread is stuck in a hook call (see ScriptRuntime#stuckThreads). */
    public List<String> stuckLuaThreads() {
        return scripts.stuckThreads();
    }

    LoginThrottle throttle() {
        return throttle;
    }

    ProxyMetrics metrics() {
        return metrics;
    }

    void remove(AdminSession session) {
        sessions.remove(session);
    }
}
