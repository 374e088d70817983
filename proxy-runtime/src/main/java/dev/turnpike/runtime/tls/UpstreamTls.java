package dev.turnpike.runtime.tls;

import dev.turnpike.api.Peer;
import dev.turnpike.runtime.metrics.TlsMetrics;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * TLS towards backends: one client context per distinct trust and client certificate (shared by
 * every loop and every peer that names the same files), and per connection an engine with the
 * peer's SNI name and hostname check.
 *
 * <p>A context is built the first time a peer needs it, on a thread of this class's own (it reads
 * files), while the connection waits; later connections find it built. A file that cannot be used
 * fails the connections that need it with a {@link TlsSetupException}; the failure is forgotten
 * after {@value #RETRY_FAILED_MILLIS} ms, so a fixed file is picked up without a restart.
 */
public final class UpstreamTls implements AutoCloseable {

    static final long RETRY_FAILED_MILLIS = 5_000;

    /**
     * What makes two client contexts different. The hostname check is part of it although it is set
     * per engine: a context's session cache is keyed by server name and port only, so a session
     * that was made without the check could otherwise be resumed, unchecked, by a peer that asks for
     * it. The server name needs no such care: a session is only offered to the same name.
     */
    private record Key(boolean verify, boolean verifyHostname, Path ca, Path cert, Path key) {
        static Key of(Peer peer) {
            return new Key(peer.verify(), peer.verify() && peer.verifyHostname(), peer.verify() ? peer.ca() : null,
                    peer.clientCertificate(), peer.clientKey());
        }
    }

    private record Built(CompletableFuture<SslContext> context, long madeNanos) {
    }

    private final SslProvider provider;
    private final TlsMetrics metrics;
    private final Map<Key, Built> contexts = new ConcurrentHashMap<>();
    private final ExecutorService files = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "turnpike-tls-files");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    public UpstreamTls(SslProvider provider, TlsMetrics metrics) {
        this.provider = provider;
        this.metrics = metrics;
    }

    public TlsMetrics metrics() {
        return metrics;
    }

    /** The client context for {@code peer}, completed on {@code loop}. */
    public Future<SslContext> context(Peer peer, EventExecutor loop) {
        if (closed) {
            return loop.newFailedFuture(new TlsSetupException(null, "the proxy is closing"));
        }
        Key key = Key.of(peer);
        Built b = contexts.get(key);
        if (b == null || failedLongAgo(b)) {
            Built fresh = new Built(new CompletableFuture<>(), System.nanoTime());
            b = b == null ? contexts.putIfAbsent(key, fresh) : contexts.replace(key, b, fresh) ? null : contexts.get(key);
            if (b == null) {
                b = fresh;
                try {
                    files.execute(() -> build(key, fresh.context()));
                } catch (java.util.concurrent.RejectedExecutionException closing) {
                    fresh.context().completeExceptionally(new TlsSetupException(null, "the proxy is closing"));
                }
            }
        }
        Promise<SslContext> promise = loop.newPromise();
        CompletableFuture<SslContext> f = b.context();
        if (f.isDone() && !f.isCompletedExceptionally()) {
            return promise.setSuccess(f.getNow(null));
        }
        f.whenComplete((ctx, e) -> loop.execute(() -> {
            if (e != null) {
                promise.setFailure(e);
            } else {
                promise.setSuccess(ctx);
            }
        }));
        return promise;
    }

    private static boolean failedLongAgo(Built b) {
        return b.context().isCompletedExceptionally() && System.nanoTime() - b.madeNanos() > RETRY_FAILED_MILLIS * 1_000_000;
    }

    private void build(Key key, CompletableFuture<SslContext> into) {
        if (closed) {
            into.completeExceptionally(new TlsSetupException(null, "the proxy is closing"));
            return;
        }
        try {
            SslContextBuilder b = SslContextBuilder.forClient()
                    .sslProvider(provider)
                    .protocols("TLSv1.2", "TLSv1.3")
                    .ciphers(CipherSuites.SECURE, SupportedCipherSuiteFilter.INSTANCE)
                    // Hostname checks are set per engine from the peer (verify_hostname), not here.
                    .endpointIdentificationAlgorithm(null)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_1_1));
            if (!key.verify()) {
                b.trustManager(InsecureTrustManagerFactory.INSTANCE);
            } else if (key.ca() != null) {
                b.trustManager(PemFiles.certificates(key.ca()).toArray(X509Certificate[]::new));
            }
            if (key.cert() != null) {
                List<X509Certificate> chain = PemFiles.certificates(key.cert());
                b.keyManager(PemFiles.privateKey(key.key()), chain.toArray(X509Certificate[]::new));
            }
            into.complete(b.build());
        } catch (TlsFileException e) {
            into.completeExceptionally(new TlsSetupException(e.file(), e.reason()));
        } catch (SSLException | RuntimeException e) {
            into.completeExceptionally(new TlsSetupException(null, "cannot build a TLS context: " + e.getMessage()));
        }
    }

    /**
     * The TLS handler of a new connection to {@code peer}: SNI from {@link Peer#serverName()}, and
     * the certificate checked against that name (or the IP) unless {@code verify_hostname} is off.
     */
    public static SslHandler handler(SslContext context, Peer peer, ByteBufAllocator alloc, long handshakeTimeoutMillis) {
        String name = peer.serverName();
        // Before the engine exists: a name the JDK refuses as SNI (a host with an underscore) is
        // sent as none, and the certificate is still checked against the host.
        List<javax.net.ssl.SNIServerName> sni = List.of();
        if (name != null) {
            try {
                sni = List.of(new SNIHostName(name));
            } catch (IllegalArgumentException notAnSniName) {
                name = null;
            }
        }
        SslHandler h = context.newHandler(alloc, name != null ? name : peer.host(), peer.port());
        try {
            SSLEngine engine = h.engine();
            SSLParameters p = engine.getSSLParameters();
            p.setServerNames(sni);
            p.setEndpointIdentificationAlgorithm(peer.verify() && peer.verifyHostname() ? "HTTPS" : null);
            engine.setSSLParameters(p);
            h.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
            return h;
        } catch (RuntimeException e) {
            ReferenceCountUtil.release(h.engine());
            throw e;
        }
    }

    /**
     * A handshake that failed because the backend hung up is a TLS failure all the same (an SNI
     * router that does not know the name, no cipher in common): the TCP connect had succeeded.
     */
    public static Throwable asHandshakeFailure(Throwable cause) {
        if (cause instanceof SSLException) {
            return cause;
        }
        javax.net.ssl.SSLHandshakeException e = new javax.net.ssl.SSLHandshakeException(
                "the backend closed the connection during the TLS handshake");
        e.initCause(cause);
        return e;
    }

    /** Records the end of an upstream handshake that ran on {@code channel}. */
    public void handshakeDone(Channel channel, Future<Channel> handshake, long startNanos) {
        if (handshake.isSuccess()) {
            var session = channel.pipeline().get(SslHandler.class).engine().getSession();
            metrics.handshakeSucceeded("upstream", System.nanoTime() - startNanos, session.getProtocol(), session.getCipherSuite());
        } else {
            metrics.handshakeFailed("upstream", TlsFailure.of(handshake.cause()).label());
        }
    }

    @Override
    public void close() {
        closed = true;
        files.shutdown();
        for (Built b : contexts.values()) {
            b.context().thenAccept(ReferenceCountUtil::release);
        }
        contexts.clear();
    }
}
