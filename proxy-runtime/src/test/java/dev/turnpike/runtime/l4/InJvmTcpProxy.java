package dev.turnpike.runtime.l4;

import dev.turnpike.api.HostPort;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.config.AccessLogSettings;
import dev.turnpike.runtime.config.ForwardProxySettings;
import dev.turnpike.runtime.config.MetricsSettings;
import dev.turnpike.runtime.config.PluginSettings;
import dev.turnpike.runtime.config.ProxyConfig;
import dev.turnpike.runtime.config.ProxyProtocolMode;
import dev.turnpike.runtime.config.ServerSettings;
import dev.turnpike.runtime.config.TcpListenerSettings;
import dev.turnpike.runtime.config.TlsSettings;
import dev.turnpike.runtime.config.TunnelSettings;
import dev.turnpike.runtime.config.UpstreamSettings;
import dev.turnpike.runtime.log.AccessLog;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.server.ProxyServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A real proxy in the test JVM with one tcp listener, {@value #NAME}, on an ephemeral port of
 * 127.0.0.1, whose chain is the plugin instances the test gives (no jars: the L4 engine is under
 * test, not the plugin host).
 */
final class InJvmTcpProxy implements AutoCloseable {

    static final String NAME = "test-l4";

    private final ProxyMetrics metrics = new ProxyMetrics();
    private final Chain chain;
    private final ProxyServer server;

    private InJvmTcpProxy(Builder b) throws InterruptedException {
        ServerSettings s = ServerSettings.defaults();
        ServerSettings server = new ServerSettings(new HostPort("127.0.0.1", 0), b.workers, s.maxHeaderBytes(),
                s.maxUriLength(), s.idleTimeout(), s.requestHeaderTimeout(), s.maxPipelined(), s.maxBodyBytes(),
                b.grace, s.requestBodyTimeout(), s.sendTimeout(), null);
        UpstreamSettings u = UpstreamSettings.defaults();
        UpstreamSettings upstream = new UpstreamSettings(b.connectTimeout, u.readTimeout(), u.idleTimeout(),
                u.maxIdlePerPeer(), u.retryBodyLimit(), u.writeTimeout(), u.totalTimeout());
        PluginSettings p = PluginSettings.defaults();
        TcpListenerSettings tcp = new TcpListenerSettings(new HostPort("127.0.0.1", 0), NAME, b.proxyProtocol,
                b.idleTimeout, List.of(new dev.turnpike.runtime.config.ChainEntry("test", java.util.Map.of(),
                        "tcp[0].chain[0]", dev.turnpike.runtime.config.ChainEntry.Presence.REQUIRED, NAME)));
        ProxyConfig config = new ProxyConfig(Path.of("test.yaml"), server, upstream,
                new PluginSettings(p.dir(), p.chain(), b.phaseTimeout), MetricsSettings.defaults(),
                AccessLogSettings.defaults(), TlsSettings.defaults(), TunnelSettings.defaults(),
                ForwardProxySettings.defaults(), List.of(tcp));
        this.chain = new Chain(b.links, Collections.nCopies(b.links.size(), NAME));
        this.server = new ProxyServer(config, () -> chain, metrics, new AccessLog(AccessLogSettings.defaults())).start();
    }

    static Builder builder() {
        return new Builder();
    }

    InetSocketAddress address() {
        return server.tcpAddress(NAME);
    }

    int port() {
        return address().getPort();
    }

    ProxyMetrics metrics() {
        return metrics;
    }

    Chain chain() {
        return chain;
    }

    ProxyServer server() {
        return server;
    }

    /** A labelled sample's value (0 when absent). */
    double metric(String name, String... labelPairs) {
        Double v = metrics.registry().getSampleValue(name, names(labelPairs), values(labelPairs));
        return v == null ? 0 : v;
    }

    private static String[] names(String[] pairs) {
        return everyOther(pairs, 0);
    }

    private static String[] values(String[] pairs) {
        return everyOther(pairs, 1);
    }

    /** {@code pairs[from]}, {@code pairs[from + 2]}, ...: the names or the values of name-value pairs. */
    private static String[] everyOther(String[] pairs, int from) {
        String[] out = new String[pairs.length / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = pairs[2 * i + from];
        }
        return out;
    }

    @Override
    public void close() {
        server.close();
    }

    static final class Builder {
        private final List<ChainLink> links = new ArrayList<>();
        private int workers = 1;
        private Duration connectTimeout = Duration.ofSeconds(2);
        private Duration phaseTimeout = Duration.ofSeconds(10);
        private Duration idleTimeout = Duration.ofHours(1);
        private Duration grace = Duration.ofSeconds(30);
        private ProxyProtocolMode proxyProtocol = ProxyProtocolMode.NONE;

        Builder plugin(String id, ProxyPlugin<?> plugin) {
            links.add(ChainLink.of(id, "test", plugin));
            return this;
        }

        Builder workers(int n) {
            workers = n;
            return this;
        }

        Builder connectTimeout(Duration d) {
            connectTimeout = d;
            return this;
        }

        Builder phaseTimeout(Duration d) {
            phaseTimeout = d;
            return this;
        }

        Builder idleTimeout(Duration d) {
            idleTimeout = d;
            return this;
        }

        Builder proxyProtocol(ProxyProtocolMode mode) {
            proxyProtocol = mode;
            return this;
        }

        InJvmTcpProxy start() throws InterruptedException {
            return new InJvmTcpProxy(this);
        }
    }
}
