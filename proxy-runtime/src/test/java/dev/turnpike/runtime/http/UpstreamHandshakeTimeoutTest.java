package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A TLS backend that accepts the connection and never answers the client hello is a slow backend:
 * 504 of kind {@code connect_timeout} once the connect timeout has passed again for the handshake,
 * and a handshake counted with result {@code timeout}. Not a 502 blaming the certificate.
 */
class UpstreamHandshakeTimeoutTest {

    @Test
    void aBackendSilentInItsHandshakeIsASlowBackend() throws Exception {
        List<Socket> accepted = new ArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept()); // holds the connection open, reads nothing
                    }
                } catch (java.io.IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            Peer peer = Peer.builder("127.0.0.1", silent.getLocalPort()).tls(true).verify(false)
                    .connectTimeout(Duration.ofMillis(300)).build();
            AtomicReference<ErrorKind> kind = new AtomicReference<>();
            ProxyPlugin<Void> route = new ProxyPlugin<>() {
                @Override
                public Outcome upstreamPeer(Session session, Void ctx) {
                    return Outcome.upstream(peer);
                }

                @Override
                public void logging(Session session, Void ctx) {
                    kind.set(session.error() == null ? null : session.error().kind());
                }
            };
            try (InJvmProxy proxy = InJvmProxy.builder().plugin("route", route).start()) {
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(proxy.uri("/slow")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(504, r.statusCode());
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (kind.get() == null && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(ErrorKind.CONNECT_TIMEOUT, kind.get());
                Double timeouts = proxy.metrics().registry().getSampleValue("turnpike_tls_handshakes_total",
                        new String[] {"side", "result"}, new String[] {"upstream", "timeout"});
                assertTrue(timeouts != null && timeouts >= 1, "the handshake is counted as timed out: " + timeouts);
            }
        } finally {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }
}
