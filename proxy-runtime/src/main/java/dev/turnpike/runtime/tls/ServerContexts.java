package dev.turnpike.runtime.tls;

import dev.turnpike.runtime.config.ServerTlsSettings;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.ReferenceCountUtil;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLException;

/**
 * One generation of the listener's certificates: a context per certificate and the SNI names that
 * select it. Immutable once built; {@link ServerTls} swaps whole generations, so a handshake sees
 * either the old set or the new one, never half of each.
 *
 * <p>Selection is the usual one (nginx, Envoy): the exact name first, then a wildcard for the name's
 * first label ({@code *.example.com} serves {@code a.example.com}, not {@code example.com} nor
 * {@code a.b.example.com}), then the default certificate. The first certificate to list a name
 * wins it.
 */
final class ServerContexts {

    /** Seconds a session may be resumed for, as nginx's default {@code ssl_session_timeout 5m}. */
    private static final long SESSION_TIMEOUT_SECONDS = 300;
    private static final long SESSION_CACHE_SIZE = 20_480;

    private final List<CertificatePair> pairs;
    private final List<SslContext> contexts;
    private final Map<String, SslContext> exact;
    private final Map<String, SslContext> wildcard;
    private final SslContext fallback;

    private ServerContexts(List<CertificatePair> pairs, List<SslContext> contexts, int defaultIndex) {
        this.pairs = List.copyOf(pairs);
        this.contexts = List.copyOf(contexts);
        Map<String, SslContext> exactNames = new HashMap<>();
        Map<String, SslContext> wildcardNames = new HashMap<>();
        for (int i = 0; i < pairs.size(); i++) {
            for (String name : pairs.get(i).names()) {
                if (name.startsWith("*.")) {
                    wildcardNames.putIfAbsent(name.substring(2), contexts.get(i));
                } else {
                    exactNames.putIfAbsent(name, contexts.get(i));
                }
            }
        }
        this.exact = Map.copyOf(exactNames);
        this.wildcard = Map.copyOf(wildcardNames);
        this.fallback = contexts.get(defaultIndex);
    }

    /**
     * Builds the contexts for {@code pairs} (already read and checked), with the listener's protocols
     * and client authentication. On failure, what was built is released.
     */
    static ServerContexts build(ServerTlsSettings settings, List<CertificatePair> pairs, List<X509Certificate> clientCas,
                                SslProvider provider) throws SSLException {
        List<SslContext> built = new ArrayList<>();
        try {
            for (CertificatePair pair : pairs) {
                built.add(context(settings, pair, clientCas, provider));
            }
        } catch (SSLException | RuntimeException e) {
            built.forEach(ReferenceCountUtil::release);
            throw e;
        }
        return new ServerContexts(pairs, built, settings.defaultCertificate());
    }

    private static SslContext context(ServerTlsSettings settings, CertificatePair pair, List<X509Certificate> clientCas,
                                      SslProvider provider) throws SSLException {
        SslContextBuilder b = SslContextBuilder.forServer(pair.key(), pair.chain().toArray(X509Certificate[]::new))
                .sslProvider(provider)
                .protocols(settings.protocols())
                .ciphers(CipherSuites.SECURE, SupportedCipherSuiteFilter.INSTANCE)
                .sessionCacheSize(SESSION_CACHE_SIZE)
                .sessionTimeout(SESSION_TIMEOUT_SECONDS)
                // http/1.1 only for now; h2 joins this list when the proxy speaks it.
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_1_1));
        switch (settings.clientAuth()) {
            case OPTIONAL -> b.clientAuth(ClientAuth.OPTIONAL).trustManager(clientCas.toArray(X509Certificate[]::new));
            case REQUIRE -> b.clientAuth(ClientAuth.REQUIRE).trustManager(clientCas.toArray(X509Certificate[]::new));
            default -> b.clientAuth(ClientAuth.NONE);
        }
        return b.build();
    }

    /** The context for an SNI name ({@code null}: none was sent). */
    SslContext select(String serverName) {
        if (serverName == null || serverName.isEmpty()) {
            return fallback;
        }
        String name = serverName.toLowerCase(Locale.ROOT);
        SslContext c = exact.get(name);
        if (c != null) {
            return c;
        }
        int dot = name.indexOf('.');
        if (dot > 0) {
            c = wildcard.get(name.substring(dot + 1));
            if (c != null) {
                return c;
            }
        }
        return fallback;
    }

    List<CertificatePair> pairs() {
        return pairs;
    }

    /** Each served name and when its certificate expires, for the expiry gauge. */
    Map<String, Instant> expiryByName() {
        Map<String, Instant> out = new LinkedHashMap<>();
        for (CertificatePair p : pairs) {
            if (p.names().isEmpty()) {
                out.putIfAbsent(p.label(), p.notAfter());
            }
            for (String n : p.names()) {
                out.putIfAbsent(n, p.notAfter());
            }
        }
        return out;
    }

    /**
     * Gives up this generation's hold on its contexts. A native context lives on while connections
     * made with it are open (each engine holds it) and is freed with the last of them.
     */
    void release() {
        contexts.forEach(ReferenceCountUtil::release);
    }

    /** The contexts, for tests that watch a retired context drain. */
    List<SslContext> contexts() {
        return contexts;
    }
}
