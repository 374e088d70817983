package dev.turnpike.runtime;

import dev.turnpike.runtime.exchange.LoopExecutor;
import dev.turnpike.runtime.plugin.ClassPathPlugin;
import dev.turnpike.runtime.plugin.PluginServices;
import dev.turnpike.runtime.transport.EventLoops;
import dev.turnpike.runtime.upstream.HealthProber;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.config.ProxyConfig;
import dev.turnpike.runtime.log.AccessLog;
import dev.turnpike.runtime.log.AccessLogOutput;
import dev.turnpike.runtime.metrics.MetricsServer;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.reload.Reloader;
import dev.turnpike.runtime.reload.WatchOverlap;
import dev.turnpike.runtime.server.ProxyServer;
import dev.turnpike.runtime.tls.TlsRuntime;
import io.prometheus.client.hotspot.DefaultExports;
import java.io.IOException;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxy: its plugins loaded from the plugin directory, the chain built from the configuration,
 * the server, and the admin/metrics listener. {@link #prepare} does everything that can refuse a
 * configuration, before anything listens; {@link #start} binds and starts following the plugin
 * directory and the configuration file ({@link Reloader}).
 */
public final class Turnpike implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Turnpike.class);

    private final ProxyConfig config;
    private final EventLoops loops;
    private final Reloader reloader;
    private final ProxyMetrics metrics;
    private final TlsRuntime tls;
    private ProxyServer server;
    private MetricsServer metricsServer;

    private Turnpike(ProxyConfig config, EventLoops loops, Reloader reloader, ProxyMetrics metrics, TlsRuntime tls) {
        this.config = config;
        this.loops = loops;
        this.reloader = reloader;
        this.metrics = metrics;
        this.tls = tls;
        metrics.configGeneration(reloader::generation);
    }

    /**
     * Loads the plugin jars and starts the chain's plugins with their config sections.
     *
     * @throws dev.turnpike.api.config.InvalidConfigException when a required chain entry's plugin is
     *         not loaded, a plugin refuses its section, or a certificate of the TLS listener cannot
     *         serve (missing, not PEM, a key of another certificate, expired or not yet valid)
     */
    public static Turnpike prepare(ProxyConfig config) throws IOException {
        return prepare(config, java.util.List.of());
    }

    /**
     * As {@link #prepare(ProxyConfig)}, with plugins of this JVM's class path on offer beside the
     * plugin directory's jars, under their ids: the seam the testkit runs plugins under test
     * through (see {@link ClassPathPlugin}). Production starts with none.
     *
     * @throws IllegalArgumentException when two class-path plugins share an id
     */
    public static Turnpike prepare(ProxyConfig config, java.util.List<ClassPathPlugin> classPath) throws IOException {
        ProxyMetrics metrics = new ProxyMetrics(config.metrics().enabled(), config.metrics().groupLabel());
        // Certificates first: nothing else is started when one cannot serve.
        TlsRuntime tls = TlsRuntime.prepare(config, metrics);
        // The loops come next: plugins starting may already schedule work on them (health checks).
        EventLoops loops = EventLoops.start(config.server().workers());
        try {
            PluginServices services = new PluginServices(metrics.pluginMetrics(), () -> new LoopExecutor(loops.next()),
                    new HealthProber(loops, tls.upstream()));
            return new Turnpike(config, loops, Reloader.start(config, metrics, services, classPath), metrics, tls);
        } catch (IOException | RuntimeException e) {
            loops.close();
            tls.close();
            throw e;
        }
    }

    /** Binds the proxy and the metrics listener, and serves. */
    public Turnpike start() throws InterruptedException, IOException {
        AccessLogOutput.apply(config.accessLog());
        String overlap = WatchOverlap.warning(config.accessLog().enabled() ? config.accessLog().file() : null,
                config.file(), config.plugins().dir());
        if (overlap != null) {
            log.warn(overlap);
        }
        // The admin listener binds first: if its port is taken, the proxy fails before it takes traffic.
        if (config.metrics().enabled()) {
            DefaultExports.register(metrics.registry());
            try {
                metricsServer = new MetricsServer(config.metrics().listen(), metrics.registry());
            } catch (IOException e) {
                throw new IOException("cannot listen on metrics.listen " + config.metrics().listen() + ": " + e.getMessage(), e);
            }
            metricsServer.json("/plugins", reloader::statusJson);
            log.info("metrics on http://{}:{}/metrics, plugins on /plugins", config.metrics().listen().host(), metricsServer.port());
        }
        AccessLog accessLog = new AccessLog(config.accessLog());
        metrics.accessLogDropped(accessLog::dropped);
        server = new ProxyServer(config, loops, tls, reloader.chains(), metrics, accessLog).start();
        reloader.watch();
        return this;
    }

    /** The cleartext listener's address, or {@code null} when there is only a TLS listener. */
    public InetSocketAddress address() {
        return server.address();
    }

    /** The TLS listener's address, or {@code null} without one. */
    public InetSocketAddress tlsAddress() {
        return server.tlsAddress();
    }

    /** The metrics listener's port, or -1 when metrics are off. */
    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.port();
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    /** Follows the plugin directory and the configuration file (reload on SIGHUP: {@link #reloadConfig}). */
    public Reloader reloader() {
        return reloader;
    }

    /** Reloads the configuration file and the TLS listener's certificate files (SIGHUP). */
    public void reloadConfig(String why) {
        reloader.reloadConfig(why);
        tls.reload(why);
    }

    /** The chain in force, and the optional entries it runs without, for {@code --check}. */
    String chainDescription() {
        Chain c = reloader.current();
        String chain = c.size() == 0 ? "no plugins in the chain" : "chain " + c;
        java.util.List<String> leftOut = reloader.leftOutEntries();
        return leftOut.isEmpty() ? chain : chain + "; " + String.join("; ", leftOut);
    }

    /**
     * Graceful stop: in-flight requests get up to {@code server.grace_period} to finish, then
     * everything closes. Returns whether they all finished in time.
     */
    public boolean shutdownGracefully() {
        boolean clean = server == null || server.shutdownGracefully(config.server().gracePeriod());
        close();
        return clean;
    }

    /**
     * Stops the server, then the event loops (what is still queued on them, such as a request that
     * finishes after its client left, runs first, on plugins that are still started), then the
     * plugins, and unloads them.
     */
    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        if (metricsServer != null) {
            metricsServer.close();
            metricsServer = null;
        }
        loops.close();
        reloader.close();
        tls.close();
    }
}
