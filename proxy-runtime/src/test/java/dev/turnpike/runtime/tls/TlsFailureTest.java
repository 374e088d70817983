package dev.turnpike.runtime.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnpike.api.Peer;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.testing.TestPki;
import dev.turnpike.testing.TlsBackend;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Why a handshake failed: the classification of representative exceptions, and of the real failures
 * both providers produce against an in-JVM backend (the metric labels and 502 messages depend on it).
 */
class TlsFailureTest {

    // ---- classification of representative exception chains --------------------------------------

    private static SSLHandshakeException handshake(String message, Throwable cause) {
        SSLHandshakeException e = new SSLHandshakeException(message);
        e.initCause(cause);
        return e;
    }

    @Test
    void typedCausesWin() {
        assertEquals(TlsFailure.EXPIRED, TlsFailure.of(handshake("PKIX path validation failed",
                new CertificateException(new CertificateExpiredException("NotAfter: ...")))));
        assertEquals(TlsFailure.NOT_YET_VALID, TlsFailure.of(handshake("x",
                new CertificateException(new CertificateNotYetValidException("NotBefore: ...")))));
        assertEquals(TlsFailure.UNKNOWN_CA, TlsFailure.of(handshake("PKIX path building failed",
                new CertificateException(new CertPathBuilderException("unable to find valid certification path to requested target")))));
        assertEquals(TlsFailure.UNKNOWN_CA, TlsFailure.of(new CertPathValidatorException("Path does not chain with any of the trust anchors")));
        assertEquals(TlsFailure.EXPIRED, TlsFailure.of(handshake("PKIX path validation failed",
                new CertPathValidatorException("validity check failed", new CertificateExpiredException("NotAfter")))));
        assertEquals(TlsFailure.TIMEOUT, TlsFailure.of(new SslHandshakeTimeoutException("handshake timed out after 10000ms")));
        assertEquals(TlsFailure.TIMEOUT, TlsFailure.of(new SSLException("wrapped", new SslHandshakeTimeoutException("timed out"))));
        assertEquals(TlsFailure.CLOSED, TlsFailure.of(new ClosedChannelException()));
        assertEquals(TlsFailure.CLOSED, TlsFailure.of(new SSLHandshakeException("x") {
            {
                initCause(new ClosedChannelException());
            }
        }));
    }

    @Test
    void notYetValidInsideTheValidatorsException() {
        // The chain both providers really produce (see aCertificateNotYetValid below).
        Throwable chain = handshake("PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed",
                new CertificateException(new CertPathValidatorException("validity check failed",
                        new CertificateNotYetValidException("NotBefore: ..."))));
        assertEquals(TlsFailure.NOT_YET_VALID, TlsFailure.of(chain), "the CertificateNotYetValidException inside the"
                + " validator's 'validity check failed' says why: not yet valid, not expired");
    }

    @Test
    void textsWithoutATypedCause() {
        assertEquals(TlsFailure.BAD_NAME, TlsFailure.of(new SSLHandshakeException("No subject alternative DNS name matching x found.")));
        assertEquals(TlsFailure.BAD_NAME, TlsFailure.of(handshake("(certificate_unknown) No subject alternative names matching IP address 127.0.0.1 found",
                new CertificateException("No subject alternative names matching IP address 127.0.0.1 found"))));
        assertEquals(TlsFailure.BAD_NAME, TlsFailure.of(new SSLHandshakeException("No name matching a.test found")));
        assertEquals(TlsFailure.UNKNOWN_CA, TlsFailure.of(new SSLHandshakeException("Received fatal alert: unknown_ca")));
        assertEquals(TlsFailure.UNKNOWN_CA, TlsFailure.of(new SSLHandshakeException("Received fatal alert: certificate_unknown")));
        assertEquals(TlsFailure.UNKNOWN_CA, TlsFailure.of(new SSLHandshakeException(
                "error:10000416:SSL routines:OPENSSL_internal:SSLV3_ALERT_CERTIFICATE_UNKNOWN")));
        assertEquals(TlsFailure.UNKNOWN_CA, TlsFailure.of(new SSLHandshakeException(
                "error:10000418:SSL routines:OPENSSL_internal:TLSV1_ALERT_UNKNOWN_CA")));
        assertEquals(TlsFailure.EXPIRED, TlsFailure.of(new SSLHandshakeException("Received fatal alert: certificate_expired")));
        assertEquals(TlsFailure.NO_CERTIFICATE, TlsFailure.of(new SSLHandshakeException("Empty client certificate chain")));
        assertEquals(TlsFailure.NO_CERTIFICATE, TlsFailure.of(new SSLHandshakeException("Received fatal alert: certificate_required")));
        assertEquals(TlsFailure.NO_CERTIFICATE, TlsFailure.of(new SSLHandshakeException(
                "error:100000c7:SSL routines:OPENSSL_internal:PEER_DID_NOT_RETURN_A_CERTIFICATE")));
        assertEquals(TlsFailure.BAD_CERTIFICATE, TlsFailure.of(new SSLHandshakeException("Received fatal alert: bad_certificate")));
        assertEquals(TlsFailure.PROTOCOL, TlsFailure.of(new SSLHandshakeException("No appropriate protocol (protocol is disabled or cipher suites are inappropriate)")));
        assertEquals(TlsFailure.PROTOCOL, TlsFailure.of(new SSLHandshakeException("Received fatal alert: handshake_failure")));
        assertEquals(TlsFailure.PROTOCOL, TlsFailure.of(new NotSslRecordException("not an SSL/TLS record: 485454502f312e31")));
        assertEquals(TlsFailure.CLOSED, TlsFailure.of(new SSLException("Connection reset")));
        assertEquals(TlsFailure.CLOSED, TlsFailure.of(new SocketException("Broken pipe")));
        assertEquals(TlsFailure.OTHER, TlsFailure.of(new SSLException("something else")));
        assertEquals(TlsFailure.OTHER, TlsFailure.of(new SSLException((String) null)));
    }

    /** An exception that fails the test, instead of hanging it, when it is visited over and over. */
    private static final class Counting extends SSLException {
        private int visits;

        Counting(String message) {
            super(message);
        }

        @Override
        public String getMessage() {
            if (++visits > 100) {
                throw new AssertionError("TlsFailure.of must end on a cycle of causes (a -> b -> a),"
                        + " which Throwable.initCause allows; without an identity set it appends each message until the JVM"
                        + " runs out of memory.");
            }
            return super.getMessage();
        }
    }

    @Test
    void aCycleOfCausesEnds() {
        Counting a = new Counting("a");
        Counting b = new Counting("b");
        b.initCause(a);
        a.initCause(b);
        assertEquals(TlsFailure.OTHER, TlsFailure.of(b), "a cycle of causes must end");
    }

    @Test
    void anExceptionThatIsItsOwnCauseEnds() {
        SSLException self = new SSLException("self") {
            @Override
            public synchronized Throwable getCause() {
                return this;
            }
        };
        assertEquals(TlsFailure.OTHER, TlsFailure.of(self));
    }

    @Test
    void labelsAreTheMetricsClosedSet() {
        List<String> labels = new ArrayList<>();
        for (TlsFailure f : TlsFailure.values()) {
            labels.add(f.label());
            assertNotNull(f.words());
        }
        assertEquals(List.of("unknown_ca", "bad_name", "expired", "not_yet_valid", "no_certificate", "bad_certificate", "protocol",
                "timeout", "closed", "other"), labels);
    }

    // ---- real handshakes through UpstreamTls, on both providers -----------------------------------

    private static final TestPki.Authority CA = TestPki.ca("Failure CA");
    private static final TestPki.Authority STRANGER = TestPki.ca("Stranger CA");

    @TempDir
    static Path dir;

    private static EventLoopGroup group;
    private static Path caFile;

    @BeforeAll
    static void startLoops() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        caFile = CA.writeTo(dir.resolve("ca.pem"));
    }

    @AfterAll
    static void stopLoops() {
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** The end of one real handshake: its cause ({@code null} when it succeeded) and the metric it counted. */
    private record Outcome(Throwable cause, String counted) {
    }

    private static Outcome handshake(SslProvider provider, Peer peer, long timeoutMillis) {
        if (provider != SslProvider.JDK) {
            assumeTrue(OpenSsl.isAvailable(), "OpenSSL not available: " + OpenSsl.unavailabilityCause());
        }
        ProxyMetrics metrics = new ProxyMetrics();
        try (UpstreamTls upstream = new UpstreamTls(provider, metrics.tls())) {
            EventLoop loop = group.next();
            SslContext context = upstream.context(peer, loop).syncUninterruptibly().getNow();
            long start = System.nanoTime();
            SslHandler[] tls = new SslHandler[1];
            ChannelFuture connect = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            tls[0] = UpstreamTls.handler(context, peer, ch.alloc(), timeoutMillis);
                            ch.pipeline().addLast(tls[0]);
                        }
                    })
                    .connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), peer.port())).syncUninterruptibly();
            Channel ch = connect.channel();
            Future<Channel> done = tls[0].handshakeFuture().awaitUninterruptibly();
            upstream.handshakeDone(ch, done, start);
            ch.close().syncUninterruptibly();
            // The deregistration that frees the engine runs after the close: let it run before anything shuts down.
            ch.eventLoop().submit(() -> { }).awaitUninterruptibly();
            String counted = null;
            for (TlsFailure f : TlsFailure.values()) {
                if (metrics.tls().handshakes("upstream", f.label()) == 1) {
                    counted = f.label();
                }
            }
            if (metrics.tls().handshakes("upstream", "ok") == 1) {
                counted = "ok";
            }
            return new Outcome(done.cause(), counted);
        }
    }

    private static Peer.Builder to(TlsBackend backend) {
        return Peer.builder("localhost", backend.port()).tls(true).ca(caFile);
    }

    private static String chain(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (; t != null; t = t.getCause() == t ? null : t.getCause()) {
            b.append("\n  ").append(t.getClass().getName()).append(": ").append(t.getMessage());
        }
        return b.toString();
    }

    private static void assertFailure(TlsFailure expected, Outcome o, SslProvider provider) {
        assertNotNull(o.cause(), "the handshake should have failed (" + expected.label() + ")");
        assertEquals(expected, TlsFailure.of(o.cause()), provider + " classified wrongly; chain:" + chain(o.cause()));
        assertEquals(expected.label(), o.counted(), "the metric label");
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void aGoodBackendSucceedsAndIsCountedOk(SslProvider provider) {
        try (TlsBackend backend = TlsBackend.builder(CA.issue(TestPki.server("localhost"))).start()) {
            Outcome o = handshake(provider, to(backend).build(), 5000);
            assertEquals(null, o.cause(), () -> chain(o.cause()));
            assertEquals("ok", o.counted());
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void anUnknownCa(SslProvider provider) {
        try (TlsBackend backend = TlsBackend.builder(STRANGER.issue(TestPki.server("localhost"))).start()) {
            assertFailure(TlsFailure.UNKNOWN_CA, handshake(provider, to(backend).build(), 5000), provider);
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void aWrongName(SslProvider provider) {
        try (TlsBackend backend = TlsBackend.builder(CA.issue(TestPki.server("other.test"))).start()) {
            assertFailure(TlsFailure.BAD_NAME, handshake(provider, to(backend).build(), 5000), provider);
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void aWrongSni(SslProvider provider) {
        try (TlsBackend backend = TlsBackend.builder(CA.issue(TestPki.server("localhost"))).start()) {
            Peer peer = to(backend).sni("elsewhere.test").build();
            assertFailure(TlsFailure.BAD_NAME, handshake(provider, peer, 5000), provider);
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void anIpAddressTheCertificateDoesNotName(SslProvider provider) {
        try (TlsBackend backend = TlsBackend.builder(CA.issue(TestPki.server("localhost"))).start()) {
            Peer peer = Peer.builder("127.0.0.1", backend.port()).tls(true).ca(caFile).build();
            assertFailure(TlsFailure.BAD_NAME, handshake(provider, peer, 5000), provider);
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void anExpiredCertificate(SslProvider provider) {
        Instant now = Instant.now();
        TestPki.Issued expired = CA.issue(TestPki.server("localhost").validity(now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1))));
        try (TlsBackend backend = TlsBackend.builder(expired).start()) {
            assertFailure(TlsFailure.EXPIRED, handshake(provider, to(backend).build(), 5000), provider);
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void aCertificateNotYetValid(SslProvider provider) {
        Instant now = Instant.now();
        TestPki.Issued future = CA.issue(TestPki.server("localhost").validity(now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(30))));
        try (TlsBackend backend = TlsBackend.builder(future).start()) {
            Outcome o = handshake(provider, to(backend).build(), 5000);
            assertNotNull(o.cause());
            assertEquals(TlsFailure.NOT_YET_VALID, TlsFailure.of(o.cause()), "(" + provider + ") a certificate not yet valid is"
                    + " classified by the CertificateNotYetValidException that the validator's 'validity check failed'"
                    + " wraps, not as expired. Chain:" + chain(o.cause()));
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void aBackendThatRefusesUsForWantOfAClientCertificateIsBadCertificate(SslProvider provider) {
        // TLS 1.2: the client learns of the refusal within its handshake (in 1.3 only after it). The JDK's server
        // sends bad_certificate for an empty chain, so both providers see that alert.
        try (TlsBackend backend = TlsBackend.builder(CA.issue(TestPki.server("localhost"))).requireClientCertificate(CA)
                .protocols("TLSv1.2").start()) {
            assertFailure(TlsFailure.BAD_CERTIFICATE, handshake(provider, to(backend).build(), 5000), provider);
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void verifyOffAcceptsAnyCertificateAndVerifyHostnameOffAnyName(SslProvider provider) {
        try (TlsBackend stranger = TlsBackend.builder(STRANGER.issue(TestPki.server("other.test"))).start();
             TlsBackend misnamed = TlsBackend.builder(CA.issue(TestPki.server("other.test"))).start()) {
            Outcome any = handshake(provider, Peer.builder("localhost", stranger.port()).tls(true).verify(false).build(), 5000);
            assertEquals(null, any.cause(), () -> chain(any.cause()));
            Outcome anyName = handshake(provider, to(misnamed).verifyHostname(false).build(), 5000);
            assertEquals(null, anyName.cause(), () -> chain(anyName.cause()));
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void aSilentServerTimesOut(SslProvider provider) throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Outcome o = handshake(provider, Peer.builder("localhost", silent.getLocalPort()).tls(true).ca(caFile).build(), 200);
            assertFailure(TlsFailure.TIMEOUT, o, provider);
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void aServerThatClosesIsClosed(SslProvider provider) throws Exception {
        try (ServerSocket closing = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = closing.accept()) {
                    s.getInputStream().read();
                } catch (IOException ignored) {
                    // closed
                }
            });
            t.start();
            Outcome o = handshake(provider, Peer.builder("localhost", closing.getLocalPort()).tls(true).ca(caFile).build(), 5000);
            t.join();
            assertFailure(TlsFailure.CLOSED, o, provider);
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void aCleartextServerIsProtocol(SslProvider provider) throws Exception {
        try (ServerSocket plain = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = plain.accept()) {
                    s.getInputStream().read();
                    OutputStream out = s.getOutputStream();
                    out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    s.getInputStream().read(new byte[4096]);
                } catch (IOException ignored) {
                    // the client gave up
                }
            });
            t.start();
            Outcome o = handshake(provider, Peer.builder("localhost", plain.getLocalPort()).tls(true).ca(caFile).build(), 5000);
            t.join();
            assertFailure(TlsFailure.PROTOCOL, o, provider);
        }
    }
}
