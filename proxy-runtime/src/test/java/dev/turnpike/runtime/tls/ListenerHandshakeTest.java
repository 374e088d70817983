package dev.turnpike.runtime.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnpike.api.HostPort;
import dev.turnpike.api.TlsInfo;
import dev.turnpike.runtime.config.ServerTlsSettings;
import dev.turnpike.runtime.config.ServerTlsSettings.CertificateFiles;
import dev.turnpike.runtime.config.ServerTlsSettings.ClientAuthMode;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.testing.TestPki;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCounted;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The listener's pipeline in a real server, {@link SniSelector} then {@link HandshakeObserver}, with
 * JDK clients: which certificate each SNI name gets on the wire, what {@link HandshakeObserver#INFO}
 * records, reloads seen by new connections only, and the downstream handshake metrics.
 */
class ListenerHandshakeTest {

    private static final TestPki.Authority CA = TestPki.ca("Listener CA");
    private static final TestPki.Authority CLIENTS = TestPki.ca("Client CA");
    private static final TestPki.Issued DEFAULT = CA.issue(TestPki.server("default.test"));
    private static final TestPki.Issued A = CA.issue(TestPki.server("a.test", "*.wild.test"));
    private static final TestPki.Issued B = CA.issue(TestPki.server("b.test").rsa());

    @TempDir
    Path dir;

    private final ProxyMetrics metrics = new ProxyMetrics();
    private final BlockingQueue<TlsInfo> infos = new LinkedBlockingQueue<>();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private EventLoopGroup group;
    private ServerTls tls;
    private int port;

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    /** Answers a finished handshake with its info on the queue and "k", then echoes. */
    private final class Reporter extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent done && done.isSuccess()) {
                infos.add(ctx.channel().attr(HandshakeObserver.INFO).get());
                ctx.writeAndFlush(ctx.alloc().buffer().writeByte('k'));
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private void start(SslProvider provider, ClientAuthMode mode, long handshakeTimeoutMillis) throws Exception {
        if (provider != SslProvider.JDK) {
            assumeTrue(OpenSsl.isAvailable(), "OpenSSL not available: " + OpenSsl.unavailabilityCause());
        }
        List<CertificateFiles> files = new ArrayList<>();
        TestPki.Issued[] all = {DEFAULT, A, B};
        for (int i = 0; i < all.length; i++) {
            TestPki.Files f = all[i].writeTo(dir, "c" + i);
            files.add(new CertificateFiles(f.cert(), f.key()));
        }
        Path clientCa = mode == ClientAuthMode.NONE ? null : CLIENTS.writeTo(dir.resolve("clients.pem"));
        ServerTlsSettings settings = new ServerTlsSettings(new HostPort("127.0.0.1", 0), files, 0, List.of("TLSv1.2", "TLSv1.3"),
                mode, clientCa, Duration.ofMillis(handshakeTimeoutMillis));
        tls = ServerTls.load(settings, provider, metrics);
        closing.add(tls);
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        closing.add(() -> group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly());
        ChannelGroup children = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        closing.add(() -> {
            // Close the accepted connections, then let each loop run the deregistrations that free their engines,
            // before the loops go: a channel closed by the shutdown itself may never release its SslHandler's engine.
            children.close().awaitUninterruptibly();
            for (EventExecutor loop : group) {
                loop.submit(() -> { }).awaitUninterruptibly();
            }
        });
        tls.start(group);
        HandshakeObserver observer = new HandshakeObserver(metrics.tls());
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        children.add(ch);
                        ch.pipeline().addLast(new SniSelector(tls, handshakeTimeoutMillis), observer, new Reporter());
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).syncUninterruptibly().channel();
        closing.add(() -> server.close().syncUninterruptibly());
        port = ((InetSocketAddress) server.localAddress()).getPort();
    }

    private SSLSocket connect(SSLContext context, String sni) throws IOException {
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket();
        closing.add(s);
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
        s.setSSLParameters(p);
        s.startHandshake();
        // The server's "k": its side of the handshake is done too.
        assertEquals('k', s.getInputStream().read());
        return s;
    }

    private X509Certificate served(String sni) throws Exception {
        try (SSLSocket s = connect(CA.clientContext(), sni)) {
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        // Not a timing assertion: the cap only turns a hang into a failure that says what never happened.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never happened: " + what);
            }
            Thread.sleep(5);
        }
    }

    private double downstream(String result) {
        return metrics.tls().handshakes("downstream", result);
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void eachNameGetsItsCertificateOnTheWire(SslProvider provider) throws Exception {
        start(provider, ClientAuthMode.NONE, 10_000);
        assertEquals(A.certificate(), served("a.test"));
        assertEquals(A.certificate(), served("x.wild.test"));
        assertEquals(B.certificate(), served("b.test"));
        assertEquals(B.certificate(), served("B.Test"));
        assertEquals(DEFAULT.certificate(), served("unknown.test"));
        assertEquals(DEFAULT.certificate(), served("x.y.wild.test"));
        assertEquals(DEFAULT.certificate(), served(null));
        assertEquals(7, downstream("ok"));
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void theHandshakeIsRecordedForTheSession(SslProvider provider) throws Exception {
        start(provider, ClientAuthMode.NONE, 10_000);
        try (SSLSocket s = connect(CA.clientContext(), "A.Test")) {
            TlsInfo info = infos.take();
            assertEquals(s.getSession().getProtocol(), info.protocol());
            assertEquals("TLSv1.3", info.protocol());
            assertEquals(s.getSession().getCipherSuite(), info.cipher());
            assertEquals("a.test", info.serverName(), "the SNI name, lower-cased");
            assertNull(info.clientSubject());
            assertEquals(List.of(), info.clientSans());
            assertFalse(info.hasClientCertificate());
        }
        try (SSLSocket s = connect(CA.clientContext(), null)) {
            assertNull(infos.take().serverName());
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void aClientCertificateIsRecorded(SslProvider provider) throws Exception {
        start(provider, ClientAuthMode.OPTIONAL, 10_000);
        TestPki.Issued alice = CLIENTS.issue(TestPki.client("alice").san("alice@example.com", "alice.example.com"));
        try (SSLSocket s = connect(CA.clientContext(alice), "a.test")) {
            TlsInfo info = infos.take();
            assertEquals("CN=alice,O=Turnpike Tests", info.clientSubject());
            assertEquals(List.of("alice@example.com", "alice.example.com"), info.clientSans());
            assertTrue(info.hasClientCertificate());
        }
        // Optional: a client without one is let in.
        try (SSLSocket s = connect(CA.clientContext(), "a.test")) {
            assertNull(infos.take().clientSubject());
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void aReloadIsSeenByNewConnectionsWhileOldOnesKeepTheirs(SslProvider provider) throws Exception {
        start(provider, ClientAuthMode.NONE, 10_000);
        SSLSocket old = connect(CA.clientContext(), "a.test");
        SslContext before = tls.map("a.test");
        TestPki.Issued renewed = CA.issue(TestPki.server("a.test", "*.wild.test"));
        renewed.writeTo(dir, "c1");
        assertTrue(tls.reloadNow("test"));
        assertEquals(renewed.certificate(), served("a.test"));
        assertEquals(DEFAULT.certificate(), served(null));
        // The old connection still works, on its old context.
        old.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
        old.getOutputStream().flush();
        byte[] echo = old.getInputStream().readNBytes(4);
        assertEquals("ping", new String(echo, StandardCharsets.US_ASCII));
        assertEquals(A.certificate(), old.getSession().getPeerCertificates()[0]);
        if (before instanceof ReferenceCounted counted) {
            assertTrue(counted.refCnt() > 0, "a live connection keeps its retired context");
            old.close();
            await(() -> counted.refCnt() == 0, "the retired context is freed with its last connection");
        } else {
            old.close();
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void aClientThatDoesNotTrustUsIsCountedUnknownCa(SslProvider provider) throws Exception {
        start(provider, ClientAuthMode.NONE, 10_000);
        assertThrows(SSLException.class, () -> connect(TestPki.ca("Other").clientContext(), "a.test"));
        await(() -> downstream("unknown_ca") == 1, "downstream unknown_ca counted; ok=" + downstream("ok")
                + ", other=" + downstream("other") + ", bad_certificate=" + downstream("bad_certificate"));
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void aClientWithoutTheRequiredCertificateIsCountedNoCertificate(SslProvider provider) throws Exception {
        start(provider, ClientAuthMode.REQUIRE, 10_000);
        // TLS 1.3: the client's handshake ends before the server refuses; the refusal shows on the first read.
        assertThrows(IOException.class, () -> connect(CA.clientContext(), "a.test"));
        await(() -> downstream("no_certificate") == 1, "downstream no_certificate counted; bad_certificate="
                + downstream("bad_certificate") + ", other=" + downstream("other") + ", protocol=" + downstream("protocol"));
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void cleartextIsCountedProtocol(SslProvider provider) throws Exception {
        start(provider, ClientAuthMode.NONE, 10_000);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            drain(s.getInputStream());
        }
        await(() -> downstream("protocol") == 1, "downstream protocol counted; other=" + downstream("other"));
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void aClientThatSendsNothingIsClosedAtTheHandshakeTimeoutAndCountedTimeout(SslProvider provider) throws Exception {
        start(provider, ClientAuthMode.NONE, 200);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            drain(s.getInputStream());
        }
        // The server closed the connection, so it has handled the timeout.
        assertEquals(1, downstream("timeout"), "a client that never sends its hello is closed after"
                + " server.tls.handshake_timeout and counted in turnpike_tls_handshakes_total{side=downstream,result=timeout}:"
                + " before the hello the pipeline holds SniSelector (an SniHandler), whose timeout (AbstractSniHandler,"
                + " Netty 4.2.18) fires only an SniCompletionEvent(SslHandshakeTimeoutException), which HandshakeObserver must count."
                + " counted: ok=" + downstream("ok") + " other=" + downstream("other") + " closed=" + downstream("closed"));
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void aClientThatStopsAfterHalfAHelloIsCountedTimeout(SslProvider provider) throws Exception {
        start(provider, ClientAuthMode.NONE, 200);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            // A TLS record header announcing a 512-byte handshake record, and nothing more.
            s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01});
            s.getOutputStream().flush();
            drain(s.getInputStream());
        }
        assertEquals(1, downstream("timeout"), "a stalled client hello is a handshake timeout, and counted as one"
                + " (as in aClientThatSendsNothing...: SniHandler's timeout fires SniCompletionEvent only); counted: ok=" + downstream("ok")
                + " other=" + downstream("other") + " closed=" + downstream("closed") + " protocol=" + downstream("protocol"));
    }

    private static void drain(InputStream in) throws IOException {
        try {
            while (in.read() >= 0) {
                // until the server closes
            }
        } catch (IOException reset) {
            // closed by a reset: closed all the same
        }
    }
}
