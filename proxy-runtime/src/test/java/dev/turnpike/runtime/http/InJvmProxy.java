package dev.turnpike.runtime.http;

import dev.turnpike.api.HostPort;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.config.AccessLogSettings;
import dev.turnpike.runtime.config.MetricsSettings;
import dev.turnpike.runtime.config.PluginSettings;
import dev.turnpike.runtime.log.AccessLog;
import dev.turnpike.runtime.config.ProxyConfig;
import dev.turnpike.runtime.config.ServerSettings;
import dev.turnpike.runtime.config.ServerTlsSettings;
import dev.turnpike.runtime.config.TlsSettings;
import dev.turnpike.runtime.config.UpstreamSettings;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.server.ProxyServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real proxy server in the test JVM, on an ephemeral port of 127.0.0.1, with a chain of plugin
 * instances the test builds itself (no jars: the engine is under test here, not the plugin host).
 */
final class InJvmProxy implements AutoCloseable {

    private final ProxyServer server;
    private final ProxyMetrics metrics = new ProxyMetrics();
    private final Chain chain;

    private InJvmProxy(Builder b) throws InterruptedException {
        ServerSettings s = ServerSettings.defaults();
        ServerSettings server = new ServerSettings(new HostPort("127.0.0.1", 0), b.workers, b.maxHeaderBytes,
                s.maxUriLength(), b.idleTimeout != null ? b.idleTimeout : s.idleTimeout(), b.headerTimeout, s.maxPipelined(),
                b.maxBodyBytes, s.gracePeriod(), b.requestBodyTimeout, b.sendTimeout, b.tls);
        UpstreamSettings u = UpstreamSettings.defaults();
        UpstreamSettings upstream = new UpstreamSettings(b.connectTimeout, b.readTimeout, u.idleTimeout(),
                b.maxIdlePerPeer >= 0 ? b.maxIdlePerPeer : u.maxIdlePerPeer(),
                b.retryBodyLimit, b.writeTimeout, b.totalTimeout);
        PluginSettings p = PluginSettings.defaults();
        ProxyConfig config = new ProxyConfig(Path.of("test.yaml"), server, upstream, new PluginSettings(p.dir(), p.chain(), b.phaseTimeout),
                MetricsSettings.defaults(), AccessLogSettings.defaults(), new TlsSettings(b.tlsProvider),
                dev.turnpike.runtime.config.TunnelSettings.defaults(),
                b.forwardProxy != null ? b.forwardProxy : dev.turnpike.runtime.config.ForwardProxySettings.defaults());
        this.chain = new Chain(b.links);
        this.server = new ProxyServer(config, () -> chain, metrics, new AccessLog(AccessLogSettings.defaults())).start();
    }

    static Builder builder() {
        return new Builder();
    }

    int port() {
        return server.address().getPort();
    }

    /** The TLS listener's port (with {@link Builder#tls}). */
    int tlsPort() {
        return server.tlsAddress().getPort();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    ProxyMetrics metrics() {
        return metrics;
    }

    ProxyServer server() {
        return server;
    }

    /** The chain every request runs: its lease count shows whether requests let go of it. */
    Chain chain() {
        return chain;
    }

    /** The sum over every label of a counter or gauge sample of this name (0 when it has none). */
    double metric(String name) {
        double sum = 0;
        for (var family : java.util.Collections.list(metrics.registry().metricFamilySamples())) {
            for (var sample : family.samples) {
                if (sample.name.equals(name)) {
                    sum += sample.value;
                }
            }
        }
        return sum;
    }

    /** The registry in the text format a scrape gets. */
    String scrape() throws java.io.IOException {
        java.io.StringWriter w = new java.io.StringWriter();
        io.prometheus.client.exporter.common.TextFormat.write004(w, metrics.registry().metricFamilySamples());
        return w.toString();
    }

    /** The value of one series (name and labels as the text format writes them) in a scrape; 0 when absent. */
    static double value(String scrape, String series) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^" + java.util.regex.Pattern.quote(series)
                + " ([0-9.eE+-]+)$", java.util.regex.Pattern.MULTILINE).matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Override
    public void close() {
        server.close();
    }

    static final class Builder {
        private final List<ChainLink> links = new ArrayList<>();
        private ServerTlsSettings tls;
        private TlsSettings.Provider tlsProvider = TlsSettings.Provider.AUTO;
        private int workers = 2;
        private int maxHeaderBytes = 16 * 1024;
        private Duration connectTimeout = Duration.ofSeconds(2);
        private Duration readTimeout = Duration.ofSeconds(10);
        private Duration headerTimeout = Duration.ofSeconds(30);
        private long maxBodyBytes;
        private int retryBodyLimit = 64 * 1024;
        private Duration requestBodyTimeout = Duration.ofSeconds(60);
        private Duration sendTimeout = Duration.ofSeconds(60);
        private Duration writeTimeout = Duration.ofSeconds(60);
        private Duration totalTimeout;
        private Duration phaseTimeout = Duration.ofSeconds(10);
        private int maxIdlePerPeer = -1;
        private Duration idleTimeout;
        private dev.turnpike.runtime.config.ForwardProxySettings forwardProxy;

        /** {@code forward_proxy:} (off by default). */
        Builder forwardProxy(dev.turnpike.runtime.config.ForwardProxySettings settings) {
            this.forwardProxy = settings;
            return this;
        }

        /** {@code server.idle_timeout}: how long a client connection may sit between requests. */
        Builder idleTimeout(Duration timeout) {
            this.idleTimeout = timeout;
            return this;
        }

        /** {@code upstream.max_idle_per_peer}; 0 turns pooling off (every upstream connection carries one request). */
        Builder maxIdlePerPeer(int connections) {
            this.maxIdlePerPeer = connections;
            return this;
        }

        Builder requestBodyTimeout(Duration timeout) {
            this.requestBodyTimeout = timeout;
            return this;
        }

        Builder sendTimeout(Duration timeout) {
            this.sendTimeout = timeout;
            return this;
        }

        Builder writeTimeout(Duration timeout) {
            this.writeTimeout = timeout;
            return this;
        }

        Builder totalTimeout(Duration timeout) {
            this.totalTimeout = timeout;
            return this;
        }

        Builder phaseTimeout(Duration timeout) {
            this.phaseTimeout = timeout;
            return this;
        }

        Builder retryBodyLimit(int bytes) {
            this.retryBodyLimit = bytes;
            return this;
        }

        Builder maxBodyBytes(long bytes) {
            this.maxBodyBytes = bytes;
            return this;
        }

        /** A TLS listener too, on an ephemeral port unless {@code settings} names one. */
        Builder tls(ServerTlsSettings settings) {
            this.tls = settings;
            return this;
        }

        Builder tlsProvider(TlsSettings.Provider provider) {
            this.tlsProvider = provider;
            return this;
        }

        Builder plugin(String id, ProxyPlugin<?> plugin) {
            links.add(ChainLink.of(id, "test", plugin));
            return this;
        }

        Builder workers(int workers) {
            this.workers = workers;
            return this;
        }

        Builder maxHeaderBytes(int bytes) {
            this.maxHeaderBytes = bytes;
            return this;
        }

        Builder readTimeout(Duration timeout) {
            this.readTimeout = timeout;
            return this;
        }

        Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        Builder headerTimeout(Duration timeout) {
            this.headerTimeout = timeout;
            return this;
        }

        InJvmProxy start() throws InterruptedException {
            return new InJvmProxy(this);
        }
    }
}
