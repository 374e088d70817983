package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.testing.TestPki;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * REVIEW: a fresh TLS connection whose backend read (and may have acted on) a POST and then broke
 * the TLS stream (a fatal alert, a record that is not TLS) is re-classified by
 * Attempt.onUpstreamClosed as a connect failure of kind TLS (beforeSending()), so it reaches
 * fail_to_connect and is retryable whatever the method: the POST goes out twice.
 */
class ReviewTlsRetryTest {

    @Test
    void aPostTheBackendReadIsNotSentAgain() throws Exception {
        TestPki.Issued cert = TestPki.ca("Review CA").issue(TestPki.server("localhost"));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", cert.key(), "changeit".toCharArray(), cert.chain().toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext sc = SSLContext.getInstance("TLS");
        sc.init(kmf.getKeyManagers(), null, null);
        AtomicInteger posts = new AtomicInteger();
        List<Socket> open = new CopyOnWriteArrayList<>();
        try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try {
                    while (true) {
                        Socket plain = ss.accept();
                        open.add(plain);
                        SSLSocket s = (SSLSocket) sc.getSocketFactory().createSocket(plain, null, plain.getPort(), false);
                        s.setUseClientMode(false);
                        s.startHandshake();
                        InputStream in = s.getInputStream();
                        StringBuilder head = new StringBuilder();
                        while (!head.toString().endsWith("\r\n\r\n")) {
                            int c = in.read();
                            if (c < 0) {
                                break;
                            }
                            head.append((char) c);
                        }
                        if (head.toString().startsWith("POST")) {
                            posts.incrementAndGet(); // the backend acted on it
                        }
                        // ...and then its TLS stream breaks: bytes that are no TLS record
                        OutputStream raw = plain.getOutputStream();
                        raw.write("garbage, not a TLS record\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        raw.flush();
                    }
                } catch (Exception done) {
                    // test over
                }
            });
            t.setDaemon(true);
            t.start();
            Peer peer = Peer.builder("127.0.0.1", ss.getLocalPort()).tls(true).verify(false).build();
            List<ErrorKind> failures = new CopyOnWriteArrayList<>();
            ProxyPlugin<Void> route = new ProxyPlugin<>() {
                @Override
                public Outcome upstreamPeer(Session session, Void ctx) {
                    return Outcome.upstream(peer);
                }

                @Override
                public boolean failToConnect(Session session, Void ctx, UpstreamFailure failure) {
                    failures.add(failure.kind());
                    return failure.attempt() < 2; // a balancer's "retry connect failures once"
                }
            };
            try (InJvmProxy proxy = InJvmProxy.builder().plugin("route", route).start()) {
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(proxy.uri("/pay"))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                System.out.println("REVIEW status=" + r.statusCode() + " failToConnect saw " + failures + " backend POSTs=" + posts.get());
                assertEquals(1, posts.get(), "a POST that reached the backend must not be sent again (fail_to_connect saw " + failures + ")");
            }
        } finally {
            for (Socket s : open) {
                s.close();
            }
        }
    }
}
