package dev.turnpike.runtime.http;

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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * REVIEW: a backend (an SNI router, a TLS server with nothing in common) that accepts TCP, reads the
 * client hello and closes fails the handshake with a ClosedChannelException (the SSLHandshakeException
 * is only a suppressed one), so UpstreamErrors reports connect_refused "could not be connected to"
 * though TCP connected and the TLS handshake is what failed (while the TLS metric says closed).
 */
class ReviewHandshakeCloseTest {

    @Test
    void aBackendThatHangsUpOnTheHelloIsATlsFailure() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try {
                    while (true) {
                        Socket s = ss.accept();
                        s.getInputStream().read(new byte[512]); // the client hello
                        s.close();
                    }
                } catch (Exception done) {
                    // over
                }
            });
            t.setDaemon(true);
            t.start();
            Peer peer = Peer.builder("127.0.0.1", ss.getLocalPort()).tls(true).verify(false).build();
            List<String> errors = new CopyOnWriteArrayList<>();
            ProxyPlugin<Void> route = new ProxyPlugin<>() {
                @Override
                public Outcome upstreamPeer(Session session, Void ctx) {
                    return Outcome.upstream(peer);
                }

                @Override
                public void logging(Session session, Void ctx) {
                    errors.add(session.error().kind().label() + ": " + session.error().message());
                }
            };
            try (InJvmProxy proxy = InJvmProxy.builder().plugin("route", route).start()) {
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(proxy.uri("/x")).build(),
                        HttpResponse.BodyHandlers.ofString());
                Thread.sleep(200);
                System.out.println("REVIEW status=" + r.statusCode() + " error=" + errors);
                Assertions.assertTrue(errors.get(0).startsWith("tls:"), errors.toString());
            }
        }
    }
}
