package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.testing.TestBackend;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The credentials a client gives the proxy are the proxy's: request_filter sees
 * {@code Proxy-Authorization} (a proxy-auth plugin checks it there), and no backend gets it.
 */
class ProxyAuthorizationTest {

    @Test
    void requestFilterSeesProxyAuthorizationAndTheBackendDoesNot() throws Exception {
        try (TestBackend backend = new TestBackend("b")) {
            backend.start();
            AtomicReference<String> seen = new AtomicReference<>();
            ProxyPlugin<Void> plugin = new ProxyPlugin<>() {
                @Override
                public Outcome requestFilter(Session session, Void ctx) {
                    seen.set(session.request().headers().get("Proxy-Authorization"));
                    return Outcome.proceed();
                }

                @Override
                public Outcome upstreamPeer(Session session, Void ctx) {
                    return Outcome.upstream(Peer.of("127.0.0.1", backend.port()));
                }
            };
            try (InJvmProxy proxy = InJvmProxy.builder().plugin("p", plugin).start()) {
                // A raw request: the JDK's HttpClient keeps Proxy-Authorization for proxies it is told of.
                try (java.net.Socket s = dev.turnpike.testing.RawHttp.connect(proxy.port(), java.time.Duration.ofSeconds(10))) {
                    dev.turnpike.testing.RawHttp.send(s, "GET /x HTTP/1.1\r\nHost: t\r\nProxy-Authorization: Basic YWxpY2U6c2VjcmV0\r\n"
                            + "X-Other: kept\r\n\r\n");
                    assertEquals(200, dev.turnpike.testing.RawHttp.readResponse(new java.io.BufferedInputStream(s.getInputStream())).status());
                }
                assertEquals("Basic YWxpY2U6c2VjcmV0", seen.get());
                var headers = backend.lastRequestHeaders();
                assertFalse(headers.keySet().stream().anyMatch(k -> k.equalsIgnoreCase("proxy-authorization")), headers.toString());
                assertEquals(true, headers.keySet().stream().anyMatch(k -> k.equalsIgnoreCase("x-other")), headers.toString());
            }
        }
    }
}
