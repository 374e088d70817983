package dev.turnpike.runtime.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The whole configuration of the proxy, as loaded from one file by {@link ConfigLoader#load}: immutable,
 * checked, with every default filled in. Each section of the file is optional; an empty file gives
 * all defaults (listen on 127.0.0.1:8080, no plugins).
 *
 * @param file     the file it was loaded from, as named (for messages and for reloading)
 * @param server   {@code server:}, the client side
 * @param upstream {@code upstream:}, the backend side
 * @param plugins  {@code plugins:}, the plugin folder and the chain
 * @param metrics  {@code metrics:}, the admin/metrics listener
 * @param accessLog {@code access_log:}, the per-request log
 * @param tls      {@code tls:}, the TLS implementation both sides use
 * @param tunnel   {@code tunnel:}, upgraded connections
 * @param forwardProxy {@code forward_proxy:}, the opt-in forward proxy
 * @param tcp      {@code tcp:}, the L4 listeners (none by default)
 */
public record ProxyConfig(Path file, ServerSettings server, UpstreamSettings upstream, PluginSettings plugins,
                          MetricsSettings metrics, AccessLogSettings accessLog, TlsSettings tls, TunnelSettings tunnel,
                          ForwardProxySettings forwardProxy, List<TcpListenerSettings> tcp) {

    /** A configuration without tcp listeners. */
    public ProxyConfig(Path file, ServerSettings server, UpstreamSettings upstream, PluginSettings plugins,
                       MetricsSettings metrics, AccessLogSettings accessLog, TlsSettings tls, TunnelSettings tunnel,
                       ForwardProxySettings forwardProxy) {
        this(file, server, upstream, plugins, metrics, accessLog, tls, tunnel, forwardProxy, List.of());
    }

    /** A configuration with the default {@code forward_proxy:} section (off). */
    public ProxyConfig(Path file, ServerSettings server, UpstreamSettings upstream, PluginSettings plugins,
                       MetricsSettings metrics, AccessLogSettings accessLog, TlsSettings tls, TunnelSettings tunnel) {
        this(file, server, upstream, plugins, metrics, accessLog, tls, tunnel, ForwardProxySettings.defaults());
    }

    /** A configuration with the default {@code tunnel:} section. */
    public ProxyConfig(Path file, ServerSettings server, UpstreamSettings upstream, PluginSettings plugins,
                       MetricsSettings metrics, AccessLogSettings accessLog, TlsSettings tls) {
        this(file, server, upstream, plugins, metrics, accessLog, tls, TunnelSettings.defaults());
    }

    /** A configuration with the default {@code tls:} section. */
    public ProxyConfig(Path file, ServerSettings server, UpstreamSettings upstream, PluginSettings plugins,
                       MetricsSettings metrics, AccessLogSettings accessLog) {
        this(file, server, upstream, plugins, metrics, accessLog, TlsSettings.defaults(), TunnelSettings.defaults());
    }

    public ProxyConfig {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(upstream, "upstream");
        Objects.requireNonNull(plugins, "plugins");
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(accessLog, "accessLog");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(tunnel, "tunnel");
        Objects.requireNonNull(forwardProxy, "forwardProxy");
        tcp = List.copyOf(tcp);
    }

    /**
     * Every chain entry the configuration names, in file order: {@code plugins.chain}, then each tcp
     * listener's chain. One generation of plugins serves them all, built and swapped as one.
     */
    public List<ChainEntry> chainEntries() {
        if (tcp.isEmpty()) {
            return plugins.chain();
        }
        List<ChainEntry> all = new java.util.ArrayList<>(plugins.chain());
        for (TcpListenerSettings t : tcp) {
            all.addAll(t.chain());
        }
        return List.copyOf(all);
    }
}
