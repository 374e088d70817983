package dev.turnpike.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class TlsBackendTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final TestPki.Authority CA = TestPki.ca("Backend CA");
    private static final TestPki.Issued SERVER = CA.issue(TestPki.server("localhost", "127.0.0.1"));

    private static HttpClient client(SSLContext context) {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).sslContext(context).build();
    }

    private static HttpResponse<String> get(HttpClient client, URI uri) throws Exception {
        return client.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).build(), BodyHandlers.ofString());
    }

    @Test
    void answersOverTlsWithSniAndProtocol() throws Exception {
        try (TlsBackend backend = TlsBackend.builder(SERVER).start()) {
            HttpClient client = client(CA.clientContext());
            HttpResponse<String> response = get(client, backend.uri("/anything"));
            assertEquals(200, response.statusCode());
            assertEquals(TlsBackend.BODY, response.body());
            assertEquals("localhost", response.headers().firstValue("X-Backend-Sni").orElseThrow());
            assertEquals("-", response.headers().firstValue("X-Backend-Client").orElseThrow());
            assertTrue(response.headers().firstValue("X-Backend-Protocol").orElseThrow().startsWith("TLSv1."));

            // An IP literal is matched against the IP SAN, and no SNI is sent for it.
            HttpResponse<String> byIp = get(client, URI.create("https://127.0.0.1:" + backend.port() + "/"));
            assertEquals(200, byIp.statusCode());
            assertEquals("-", byIp.headers().firstValue("X-Backend-Sni").orElseThrow());

            // A POST body is read and discarded, and the connection stays usable.
            HttpResponse<String> post = client.send(HttpRequest.newBuilder(backend.uri("/post")).timeout(TIMEOUT)
                    .POST(BodyPublishers.ofInputStream(() -> DeterministicBytes.stream(3, 1_000_000))).build(), BodyHandlers.ofString());
            assertEquals(200, post.statusCode());
            assertEquals(TlsBackend.BODY, post.body());
            assertEquals(3, backend.requests());
            assertEquals(List.of(), backend.handshakeFailures());
        }
    }

    @Test
    void protocolsCanBeRestricted() throws Exception {
        try (TlsBackend backend = TlsBackend.builder(SERVER).protocols("TLSv1.2").start()) {
            HttpResponse<String> response = get(client(CA.clientContext()), backend.uri("/"));
            assertEquals("TLSv1.2", response.headers().firstValue("X-Backend-Protocol").orElseThrow());
        }
    }

    @Test
    void untrustedServerFailsTheHandshake() throws Exception {
        try (TlsBackend backend = TlsBackend.builder(SERVER).start()) {
            HttpClient client = client(TestPki.ca("Someone else").clientContext());
            assertThrows(SSLHandshakeException.class, () -> get(client, backend.uri("/")));
            assertEquals(0, backend.requests());
        }
    }

    @Test
    void wrongNameFailsHostnameVerification() throws Exception {
        try (TlsBackend backend = TlsBackend.builder(CA.issue(TestPki.server("elsewhere.test"))).start()) {
            assertThrows(SSLHandshakeException.class, () -> get(client(CA.clientContext()), backend.uri("/")));
            assertEquals(0, backend.requests());
        }
    }

    @Test
    void expiredServerCertificateFailsTheHandshake() throws Exception {
        Instant now = Instant.now();
        TestPki.Issued expired = CA.issue(TestPki.server("localhost").validity(now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1))));
        try (TlsBackend backend = TlsBackend.builder(expired).start()) {
            assertThrows(SSLHandshakeException.class, () -> get(client(CA.clientContext()), backend.uri("/")));
        }
    }

    @Test
    void requiredClientCertificate() throws Exception {
        TestPki.Authority clientCa = TestPki.ca("Client CA");
        TestPki.Issued alice = clientCa.issue(TestPki.client("alice"));
        try (TlsBackend backend = TlsBackend.builder(SERVER).requireClientCertificate(clientCa).start()) {
            // Under TLS 1.3 the client may finish its side first and learn of the rejection on read,
            // so the failure can surface as an IOException that is not an SSLHandshakeException.
            assertThrows(IOException.class, () -> get(client(CA.clientContext()), backend.uri("/")));
            assertTrue(awaitFailure(backend), "the server recorded the failed handshake");
            assertEquals(0, backend.requests());

            HttpResponse<String> response = get(client(CA.clientContext(alice)), backend.uri("/"));
            assertEquals(200, response.statusCode());
            String subject = response.headers().firstValue("X-Backend-Client").orElseThrow();
            assertTrue(subject.contains("CN=alice"), subject);
            assertEquals("CN=alice,O=Turnpike Tests", subject);

            // A certificate from another CA is refused too.
            TestPki.Issued mallory = CA.issue(TestPki.client("mallory"));
            int failures = backend.handshakeFailures().size();
            assertThrows(IOException.class, () -> get(client(CA.clientContext(mallory)), backend.uri("/")));
            assertTrue(awaitFailures(backend, failures + 1));
            assertEquals(1, backend.requests());
        }
    }

    @Test
    void echoSha256DigestsTheUploadAndStreamsThePattern() throws Exception {
        long upload = 5L << 20;
        long download = (5L << 20) + 12_345;
        try (TlsBackend backend = TlsBackend.builder(SERVER).echoSha256().start()) {
            HttpResponse<InputStream> response = client(CA.clientContext()).send(HttpRequest.newBuilder(backend.uri("/echo"))
                            .timeout(Duration.ofSeconds(60))
                            .header("X-Response-Bytes", Long.toString(download))
                            .POST(BodyPublishers.ofInputStream(() -> DeterministicBytes.stream(11, upload))).build(),
                    BodyHandlers.ofInputStream());
            assertEquals(200, response.statusCode());
            assertEquals(DeterministicBytes.sha256Hex(11, upload), response.headers().firstValue("X-Request-Sha256").orElseThrow());
            assertEquals(Long.toString(download), response.headers().firstValue("Content-Length").orElseThrow());
            assertEquals("localhost", response.headers().firstValue("X-Backend-Sni").orElseThrow());
            MessageDigest digest = DeterministicBytes.sha256();
            long received = 0;
            boolean patternOk = true;
            try (InputStream in = response.body()) {
                byte[] buf = new byte[32 * 1024];
                for (int n; (n = in.read(buf)) > 0; ) {
                    for (int i = 0; i < n && patternOk; i++) {
                        patternOk = buf[i] == TlsBackend.patternByte(received + i);
                    }
                    digest.update(buf, 0, n);
                    received += n;
                }
            }
            assertEquals(download, received);
            assertTrue(patternOk);
            assertEquals(TlsBackend.patternSha256(download), HexFormat.of().formatHex(digest.digest()));

            // Without X-Response-Bytes: an empty body, and the digest of an empty upload.
            HttpResponse<String> empty = get(client(CA.clientContext()), backend.uri("/"));
            assertEquals("", empty.body());
            assertEquals(DeterministicBytes.sha256Hex(new byte[0]), empty.headers().firstValue("X-Request-Sha256").orElseThrow());
        }
    }

    @Test
    void patternIsAsDocumented() {
        assertEquals(7, TlsBackend.patternByte(0));
        assertEquals((byte) (300 * 31 + 7), TlsBackend.patternByte(300));
        byte[] bytes = new byte[70_000];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) ((i * 31 + 7) & 0xff);
        }
        assertEquals(DeterministicBytes.sha256Hex(bytes), TlsBackend.patternSha256(bytes.length));
        assertFalse(TlsBackend.patternSha256(0).isEmpty());
    }

    private static boolean awaitFailure(TlsBackend backend) throws InterruptedException {
        return awaitFailures(backend, 1);
    }

    private static boolean awaitFailures(TlsBackend backend, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (backend.handshakeFailures().size() < count) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }
}
