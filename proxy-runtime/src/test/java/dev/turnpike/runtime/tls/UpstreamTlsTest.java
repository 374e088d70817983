package dev.turnpike.runtime.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnpike.api.Peer;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.testing.TestPki;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ReferenceCounted;
import io.netty.util.concurrent.Future;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Client contexts towards backends: shared per trust and identity, file refusals, and each engine's SNI and name check. */
class UpstreamTlsTest {

    private static final TestPki.Authority CA = TestPki.ca("Upstream CA");
    private static DefaultEventLoopGroup loops;

    @TempDir
    Path dir;

    @BeforeAll
    static void startLoops() {
        loops = new DefaultEventLoopGroup(1);
    }

    @AfterAll
    static void stopLoops() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static void requireProvider(SslProvider provider) {
        if (provider != SslProvider.JDK) {
            assumeTrue(OpenSsl.isAvailable(), "OpenSSL not available: " + OpenSsl.unavailabilityCause());
        }
    }

    private static Future<SslContext> context(UpstreamTls upstream, Peer peer) {
        EventLoop loop = loops.next();
        return upstream.context(peer, loop).awaitUninterruptibly();
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void peersWithTheSameTrustAndIdentityShareOneContext(SslProvider provider) {
        requireProvider(provider);
        Path ca = CA.writeTo(dir.resolve("ca.pem"));
        TestPki.Files client = CA.issue(TestPki.client("proxy")).writeTo(dir, "client");
        try (UpstreamTls upstream = new UpstreamTls(provider, new ProxyMetrics().tls())) {
            SslContext a = context(upstream, Peer.builder("a.test", 443).tls(true).ca(ca).build()).getNow();
            SslContext b = context(upstream, Peer.builder("b.test", 8443).tls(true).ca(ca).sni("c.test").build()).getNow();
            assertSame(a, b, "host, port and SNI are per engine, not per context");
            SslContext unchecked = context(upstream, Peer.builder("a.test", 443).tls(true).ca(ca).verifyHostname(false).build()).getNow();
            assertNotSame(a, unchecked, "a session made without the hostname check must not be offered to a peer with it");
            assertTrue(a.isClient());
            SslContext withIdentity = context(upstream, Peer.builder("a.test", 443).tls(true).ca(ca)
                    .clientCertificate(client.cert(), client.key()).build()).getNow();
            assertNotSame(a, withIdentity);
            SslContext system = context(upstream, Peer.builder("a.test", 443).tls(true).build()).getNow();
            assertNotSame(a, system);
            SslContext insecure = context(upstream, Peer.builder("a.test", 443).tls(true).verify(false).build()).getNow();
            SslContext insecureWithCa = context(upstream, Peer.builder("b.test", 443).tls(true).verify(false).ca(ca).build()).getNow();
            assertSame(insecure, insecureWithCa, "without verification the ca does not matter");
            assertNotSame(system, insecure);
        }
    }

    @Test
    void aMissingCaFailsTheContextNamingTheFile() {
        Path missing = dir.resolve("missing-ca.pem");
        try (UpstreamTls upstream = new UpstreamTls(SslProvider.JDK, new ProxyMetrics().tls())) {
            Future<SslContext> f = context(upstream, Peer.builder("a.test", 443).tls(true).ca(missing).build());
            assertFalse(f.isSuccess());
            TlsSetupException e = assertInstanceOf(TlsSetupException.class, f.cause());
            assertEquals(missing + ": no such file", e.getMessage());
            assertEquals(TlsFailure.OTHER, TlsFailure.of(e), "a setup failure is no handshake failure of the backend's");
        }
    }

    @Test
    void aBadClientKeyFailsTheContextNamingTheFile() throws Exception {
        Path ca = CA.writeTo(dir.resolve("ca.pem"));
        TestPki.Issued rsa = CA.issue(TestPki.client("proxy").rsa());
        TestPki.Files files = rsa.writeTo(dir, "client");
        Path pkcs1 = rsa.writeKeyPkcs1(dir.resolve("client-pkcs1.key"));
        try (UpstreamTls upstream = new UpstreamTls(SslProvider.JDK, new ProxyMetrics().tls())) {
            Future<SslContext> f = context(upstream, Peer.builder("a.test", 443).tls(true).ca(ca)
                    .clientCertificate(files.cert(), pkcs1).build());
            TlsSetupException e = assertInstanceOf(TlsSetupException.class, f.cause());
            assertTrue(e.getMessage().startsWith(pkcs1 + ": the key is in the traditional RSA form"), e.getMessage());
        }
    }

    @Test
    void aFailedContextIsRetriedOnceItsFailureIsOld() throws Exception {
        Path ca = dir.resolve("later-ca.pem");
        try (UpstreamTls upstream = new UpstreamTls(SslProvider.JDK, new ProxyMetrics().tls())) {
            Peer peer = Peer.builder("a.test", 443).tls(true).ca(ca).build();
            assertFalse(context(upstream, peer).isSuccess());
            CA.writeTo(ca);
            Thread.sleep(UpstreamTls.RETRY_FAILED_MILLIS + 100);
            assertTrue(context(upstream, peer).isSuccess(), "the fixed file is read again without a restart");
        }
    }

    @Test
    void contextsAreCompletedOnTheGivenLoop() {
        Path ca = CA.writeTo(dir.resolve("ca.pem"));
        try (UpstreamTls upstream = new UpstreamTls(SslProvider.JDK, new ProxyMetrics().tls())) {
            EventLoop loop = loops.next();
            Peer peer = Peer.builder("a.test", 443).tls(true).ca(ca).build();
            Future<SslContext> first = upstream.context(peer, loop);
            boolean[] onLoop = new boolean[1];
            first.addListener(done -> onLoop[0] = loop.inEventLoop()).awaitUninterruptibly();
            loop.submit(() -> { }).awaitUninterruptibly();
            assertTrue(onLoop[0], "listeners run on the connection's loop");
            // Built: the next one is completed at once.
            assertTrue(upstream.context(peer, loop).isSuccess());
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void theHandlerSendsTheServerNameAndChecksIt(SslProvider provider) {
        requireProvider(provider);
        try (UpstreamTls upstream = new UpstreamTls(provider, new ProxyMetrics().tls())) {
            SslContext ctx = context(upstream, Peer.builder("a.test", 443).tls(true).build()).getNow();
            check(ctx, Peer.builder("backend.test", 443).tls(true).build(), "backend.test", "HTTPS", 7000);
            check(ctx, Peer.builder("10.0.0.1", 443).tls(true).sni("named.test").build(), "named.test", "HTTPS", 7000);
            check(ctx, Peer.builder("10.0.0.1", 443).tls(true).build(), null, "HTTPS", 7000);
            check(ctx, Peer.builder("backend.test", 443).tls(true).verifyHostname(false).build(), "backend.test", null, 7000);
            check(ctx, Peer.builder("backend.test", 443).tls(true).verify(false).build(), "backend.test", null, 7000);
        }
    }

    private static void check(SslContext ctx, Peer peer, String sni, String endpointCheck, long timeoutMillis) {
        SslHandler h = UpstreamTls.handler(ctx, peer, ByteBufAllocator.DEFAULT, timeoutMillis);
        try {
            SSLParameters p = h.engine().getSSLParameters();
            assertEquals(sni == null ? List.of() : List.of(new SNIHostName(sni)), p.getServerNames() == null ? List.of() : p.getServerNames(),
                    "SNI for " + peer);
            assertEquals(endpointCheck, p.getEndpointIdentificationAlgorithm(), "name check for " + peer);
            assertEquals(timeoutMillis, h.getHandshakeTimeoutMillis());
            assertTrue(h.engine().getUseClientMode());
            assertEquals(peer.port(), h.engine().getPeerPort());
        } finally {
            ReferenceCountUtil.release(h.engine());
        }
    }

    @Test
    void closeReleasesTheNativeContexts() {
        requireProvider(SslProvider.OPENSSL_REFCNT);
        Path ca = CA.writeTo(dir.resolve("ca.pem"));
        UpstreamTls upstream = new UpstreamTls(SslProvider.OPENSSL_REFCNT, new ProxyMetrics().tls());
        SslContext a = context(upstream, Peer.builder("a.test", 443).tls(true).ca(ca).build()).getNow();
        SslContext b = context(upstream, Peer.builder("a.test", 443).tls(true).verify(false).build()).getNow();
        assertEquals(1, ((ReferenceCounted) a).refCnt());
        upstream.close();
        assertEquals(0, ((ReferenceCounted) a).refCnt());
        assertEquals(0, ((ReferenceCounted) b).refCnt());
    }
}
