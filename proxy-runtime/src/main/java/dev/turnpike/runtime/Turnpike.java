package dev.turnpike.runtime;

import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.config.ProxyConfig;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.plugin.ChainFactory;
import dev.turnpike.runtime.plugin.PluginHost;
import dev.turnpike.runtime.server.ProxyServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One proxy: its plugins loaded from the plugin directory, the chain built from the configuration,
 * and the server. {@link #prepare} does everything that can refuse a configuration, before anything
 * listens; {@link #start} binds. The chain sits behind an atomic reference so a reload can swap it.
 */
public final class Turnpike implements AutoCloseable {

    private final ProxyConfig config;
    private final PluginHost host;
    private final AtomicReference<Chain> chain = new AtomicReference<>();
    private final ProxyMetrics metrics;
    private ProxyServer server;

    private Turnpike(ProxyConfig config, PluginHost host, ProxyMetrics metrics, Chain chain) {
        this.config = config;
        this.host = host;
        this.metrics = metrics;
        this.chain.set(chain);
    }

    /**
     * Loads the plugin jars and starts the chain's plugins with their config sections.
     *
     * @throws dev.turnpike.api.config.InvalidConfigException when a plugin refuses its section
     */
    public static Turnpike prepare(ProxyConfig config) throws IOException {
        PluginHost host = new PluginHost(config.plugins().dir());
        ProxyMetrics metrics = new ProxyMetrics();
        try {
            host.loadAll();
            Chain chain = new ChainFactory(config.plugins().dir(), metrics.pluginMetrics())
                    .build(config.plugins().chain(), host.plugins());
            return new Turnpike(config, host, metrics, chain);
        } catch (RuntimeException | IOException e) {
            host.close();
            throw e;
        }
    }

    /** Binds and serves. */
    public Turnpike start() throws InterruptedException {
        server = new ProxyServer(config, chain::get, metrics).start();
        return this;
    }

    public InetSocketAddress address() {
        return server.address();
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    String chainDescription() {
        Chain c = chain.get();
        return c.size() == 0 ? "no plugins in the chain" : "chain " + c;
    }

    /** Stops the server, then the plugins, then unloads them. */
    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        Chain c = chain.getAndSet(Chain.empty());
        if (c != null) {
            c.stop();
        }
        host.close();
    }
}
