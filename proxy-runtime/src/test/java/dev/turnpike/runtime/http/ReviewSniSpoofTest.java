package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnpike.api.HostPort;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.api.TlsInfo;
import dev.turnpike.runtime.config.ServerTlsSettings;
import dev.turnpike.runtime.config.ServerTlsSettings.CertificateFiles;
import dev.turnpike.runtime.config.ServerTlsSettings.ClientAuthMode;
import dev.turnpike.runtime.config.TlsSettings;
import dev.turnpike.testing.TestPki;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.internal.tcnative.SSL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * REVIEW: TlsInfo.serverName is the SNI bytes exactly as AbstractSniHandler decoded them; BoringSSL
 * (tls.provider openssl/auto) accepts any name without a NUL, so a client can put CR/LF (or spaces,
 * '/', anything) in what plugins are told is "the name the client asked for".
 */
class ReviewSniSpoofTest {

    @TempDir
    Path dir;

    @Test
    void theServerNameAPluginSeesIsAHostName() throws Exception {
        assumeTrue(OpenSsl.isAvailable());
        TestPki.Files site = TestPki.ca("Review CA").issue(TestPki.server("localhost")).writeTo(dir, "site");
        ServerTlsSettings tls = new ServerTlsSettings(new HostPort("127.0.0.1", 0),
                List.of(new CertificateFiles(site.cert(), site.key())), 0, List.of("TLSv1.2", "TLSv1.3"), ClientAuthMode.NONE,
                null, Duration.ofSeconds(10));
        AtomicReference<TlsInfo> seen = new AtomicReference<>();
        ProxyPlugin<Void> plugin = new ProxyPlugin<>() {
            @Override
            public Outcome upstreamPeer(Session session, Void ctx) {
                seen.set(session.tls());
                return Outcome.upstream(Peer.of("127.0.0.1", 9));
            }
        };
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (InJvmProxy proxy = InJvmProxy.builder().tls(tls).tlsProvider(TlsSettings.Provider.OPENSSL).plugin("p", plugin).start()) {
            SslContext client = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                    .trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null).build();
            Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class).handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel c) {
                    SslHandler h = client.newHandler(c.alloc());
                    SSL.setTlsExtHostName(((ReferenceCountedOpenSslEngine) h.engine()).sslPointer(), "localhost\r\nX-Admin: yes");
                    c.pipeline().addLast(h);
                }
            }).connect("127.0.0.1", proxy.tlsPort()).syncUninterruptibly().channel();
            ch.pipeline().get(SslHandler.class).handshakeFuture().syncUninterruptibly();
            ch.writeAndFlush(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", StandardCharsets.US_ASCII));
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (seen.get() == null && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            ch.close();
            String name = seen.get() == null ? null : seen.get().serverName();
            System.out.println("REVIEW plugin saw serverName=" + (name == null ? null : name.replace("\r", "\\r").replace("\n", "\\n")));
            assertFalse(name != null && (name.indexOf('\r') >= 0 || name.indexOf('\n') >= 0), "SNI with CR/LF reached plugins");
        } finally {
            group.shutdownGracefully();
        }
    }
}
