package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.runtime.config.TlsSettings;
import dev.turnpike.testing.TestPki;
import dev.turnpike.testing.TlsBackend;
import io.netty.channel.DefaultEventLoop;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCounted;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * REVIEW: an SNI name that Peer accepts but javax.net.ssl.SNIHostName refuses (an underscore, a
 * trailing dot as in "svc.cluster.local.") throws inside UpstreamTls.handler, after the engine was
 * made: every attempt leaks an OpenSSL engine (and its hold on the context), and the request fails
 * as connect_refused "could not be connected to", with no word of TLS.
 */
class ReviewSniNameTest {

    @Test
    void aNameSniHostNameRefusesLeaksTheEngineAndIsBlamedOnTheConnect() throws Exception {
        assumeTrue(OpenSsl.isAvailable());
        TlsBackend backend = TlsBackend.builder(TestPki.ca("Review CA").issue(TestPki.server("localhost"))).start();
        DefaultEventLoop loop = new DefaultEventLoop();
        try {
            Peer peer = Peer.builder("127.0.0.1", backend.port()).tls(true).verify(false).sni("my_backend").build();
            List<String> errors = new CopyOnWriteArrayList<>();
            ProxyPlugin<Void> route = new ProxyPlugin<>() {
                @Override
                public Outcome upstreamPeer(Session session, Void ctx) {
                    return Outcome.upstream(peer);
                }

                @Override
                public void logging(Session session, Void ctx) {
                    errors.add(session.error() == null ? "none" : session.error().kind() + ": " + session.error().message());
                }
            };
            try (InJvmProxy proxy = InJvmProxy.builder().tlsProvider(TlsSettings.Provider.OPENSSL).plugin("route", route).start()) {
                HttpClient client = HttpClient.newHttpClient();
                int n = 5;
                for (int i = 0; i < n; i++) {
                    HttpResponse<String> r = client.send(HttpRequest.newBuilder(proxy.uri("/x")).build(), HttpResponse.BodyHandlers.ofString());
                    System.out.println("REVIEW status=" + r.statusCode());
                }
                Thread.sleep(200);
                SslContext ctx = proxy.server().tls().upstream().context(peer, loop).syncUninterruptibly().getNow();
                int refCnt = ((ReferenceCounted) ctx).refCnt();
                System.out.println("REVIEW errors=" + errors + " context refCnt=" + refCnt + " (1 = only the cache's hold)");
                assertEquals(1, refCnt, "no connection is open, so no engine should still hold the context");
            }
        } finally {
            loop.shutdownGracefully();
            backend.close();
        }
    }
}
