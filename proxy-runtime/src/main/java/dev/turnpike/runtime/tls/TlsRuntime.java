package dev.turnpike.runtime.tls;

import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.runtime.config.ProxyConfig;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything TLS of one proxy: the provider chosen, the listener's certificates (when
 * {@code server.tls} is set) and the contexts towards backends. Made before anything listens, so a
 * certificate that cannot serve refuses the start (and {@code --check}).
 */
public final class TlsRuntime implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TlsRuntime.class);

    private final SslProvider provider;
    private final ServerTls server;
    private final UpstreamTls upstream;

    private TlsRuntime(SslProvider provider, ServerTls server, UpstreamTls upstream) {
        this.provider = provider;
        this.server = server;
        this.upstream = upstream;
    }

    /**
     * @throws InvalidConfigException for an unavailable provider, or a certificate file that cannot
     *         serve (the key names the file's entry, the message the file and the reason)
     */
    public static TlsRuntime prepare(ProxyConfig config, ProxyMetrics metrics) {
        SslProvider provider = TlsProviders.choose(config.tls().provider());
        String fallback = TlsProviders.whyNotOpenSsl();
        if (provider == SslProvider.JDK && fallback != null && config.tls().provider() != dev.turnpike.runtime.config.TlsSettings.Provider.JDK) {
            log.info("TLS provider: JDK (OpenSSL is not available: {})", fallback);
        } else {
            log.info("TLS provider: {}", TlsProviders.describe(provider));
        }
        ServerTls server = config.server().tls() == null ? null : ServerTls.load(config.server().tls(), provider, metrics);
        return new TlsRuntime(provider, server, new UpstreamTls(provider, metrics.tls()));
    }

    public SslProvider provider() {
        return provider;
    }

    /** The TLS listener's certificates, or {@code null} when there is no TLS listener. */
    public ServerTls server() {
        return server;
    }

    public UpstreamTls upstream() {
        return upstream;
    }

    /** Re-reads the listener's certificate files (SIGHUP); nothing without a TLS listener. */
    public void reload(String why) {
        if (server != null) {
            server.reload(why);
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        upstream.close();
    }
}
