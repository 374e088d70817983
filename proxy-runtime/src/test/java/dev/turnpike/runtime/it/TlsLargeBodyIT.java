package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.DeterministicBytes;
import dev.turnpike.testing.TestPki;
import dev.turnpike.testing.TlsBackend;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Big bodies through TLS on both sides of a proxy JVM limited to 64 MiB of heap: client → the
 * proxy's TLS listener → the proxy → an HTTPS backend ({@link TlsBackend#echoSha256()}), which
 * digests the upload and then streams back as many bytes as {@code X-Response-Bytes} asks. The test
 * never holds a body: the upload is generated (and digested) as it is sent, the download digested as
 * it is read. {@link ProxyProcess#close()} then fails on any Netty leak report (paranoid detection),
 * which covers the SSL engines' buffers of both sides.
 *
 * <p>OpenSSL (BoringSSL) moves 1 GiB each way; the JDK provider, much slower here (mostly on the upload), 128 MiB each way, to keep the class near 90 s on two cores.
 */
class TlsLargeBodyIT {

    private static final long GIB = 1L << 30;
    private static final long JDK_BYTES = 128L << 20;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void oneGibibyteEachWayWithOpenSsl() throws Exception {
        transfer("openssl", GIB);
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void oneEighthGibibyteEachWayWithTheJdkProvider() throws Exception {
        transfer("jdk", JDK_BYTES);
    }

    private void transfer(String provider, long bytes) throws Exception {
        CompletableFuture<String> expectedDownload = CompletableFuture.supplyAsync(() -> TlsBackend.patternSha256(bytes));
        Path pki = Files.createDirectories(dir.resolve("pki"));
        TestPki.Authority ca = TestPki.ca("Large Body CA");
        Path caFile = ca.writeTo(pki.resolve("ca.pem"));
        TestPki.Files site = ca.issue(TestPki.server("localhost", "127.0.0.1")).writeTo(pki, "site");
        int tlsPort = ProxyProcess.freePort();
        try (TlsBackend backend = TlsBackend.builder(ca.issue(TestPki.server("localhost"))).echoSha256().start();
             ProxyProcess proxy = ProxyProcess.builder(Files.createDirectories(dir.resolve("proxy")))
                     .workers(1)
                     .serverYaml("  tls:\n"
                             + "    listen: '127.0.0.1:" + tlsPort + "'\n"
                             + "    certificates:\n"
                             + "      - { cert: " + q(site.cert()) + ", key: " + q(site.key()) + " }\n")
                     .chainYaml("    - id: load-balancer\n"
                             + "      config:\n"
                             + "        backends:\n"
                             + "          - { address: 'localhost:" + backend.port() + "', tls: true, ca: " + q(caFile) + " }\n")
                     .extraYaml("tls:\n  provider: " + provider + "\n")
                     .start()) {
            assertEquals(tlsPort, TlsItSupport.tlsPort(proxy), "the TLS listener's port");
            String log = proxy.log();
            assertTrue(log.contains(provider.equals("jdk") ? "JDK" : "OpenSSL"),
                    () -> "the start-up log names the provider " + provider + ":\n" + ProxyProcess.tail(log, 8_000));

            HttpClient client = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .sslContext(ca.clientContext())
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();
            DigestingStream upload = new DigestingStream(DeterministicBytes.stream(DeterministicBytes.DEFAULT_SEED, bytes));
            HttpRequest request = HttpRequest.newBuilder(URI.create("https://localhost:" + tlsPort + "/big"))
                    .timeout(Duration.ofSeconds(120)) // until the response head, which comes after the whole upload
                    .header("X-Response-Bytes", String.valueOf(bytes))
                    .POST(BodyPublishers.fromPublisher(BodyPublishers.ofInputStream(() -> upload), bytes))
                    .build();
            long started = System.nanoTime();
            HttpResponse<InputStream> response;
            try {
                response = client.send(request, BodyHandlers.ofInputStream());
            } catch (IOException e) {
                throw new AssertionError("the upload failed: " + e + "; proxy " + proxy.state() + "; its log:\n"
                        + ProxyProcess.tail(proxy.log(), 12_000), e);
            }
            long uploaded = System.nanoTime();
            assertEquals(200, response.statusCode(), "status");
            assertTrue(response.sslSession().isPresent(), "the client spoke TLS to the proxy");
            assertTrue(response.headers().firstValue("X-Backend-Protocol").orElse("-").startsWith("TLSv1."),
                    () -> "the proxy spoke TLS to the backend: " + response.headers().map());
            assertEquals(upload.sha256().get(10, TimeUnit.SECONDS), response.headers().firstValue("X-Request-Sha256").orElse("(none)"),
                    "the SHA-256 of what the backend received equals that of what the client sent");
            assertEquals(bytes, upload.count(), "bytes sent");

            MessageDigest digest = DeterministicBytes.sha256();
            long received = 0;
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = response.body()) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    digest.update(buf, 0, n);
                    received += n;
                }
            } catch (IOException e) {
                throw new AssertionError("the download failed after " + received + " bytes: " + e + "; proxy " + proxy.state()
                        + "; its log:\n" + ProxyProcess.tail(proxy.log(), 12_000), e);
            }
            long downloaded = System.nanoTime();
            assertEquals(bytes, received, "bytes received");
            assertEquals(expectedDownload.get(60, TimeUnit.SECONDS), HexFormat.of().formatHex(digest.digest()),
                    "the SHA-256 of the download equals that of the backend's pattern");
            System.out.printf("TLS both sides, provider %s, %d MiB each way: upload %.1f s, download %.1f s%n",
                    provider, bytes >> 20, (uploaded - started) / 1e9, (downloaded - uploaded) / 1e9);

            proxy.assertAlive();
            String after = proxy.log();
            assertFalse(after.contains("OutOfMemoryError") || after.contains("OutOfDirectMemoryError"),
                    () -> "the proxy ran out of memory:\n" + ProxyProcess.tail(after, 12_000));
            int metrics = TlsItSupport.metricsPort(proxy);
            String text = TlsItSupport.scrape(metrics);
            assertTrue(TlsItSupport.metric(text, "turnpike_tls_handshakes_total{side=\"downstream\",result=\"ok\"}") >= 1,
                    () -> TlsItSupport.seriesOf(metrics, "turnpike_tls_handshakes_total"));
            assertTrue(TlsItSupport.metric(text, "turnpike_tls_handshakes_total{side=\"upstream\",result=\"ok\"}") >= 1,
                    () -> TlsItSupport.seriesOf(metrics, "turnpike_tls_handshakes_total"));
        } // ProxyProcess.close(): GC, then fails on any leak report of the proxy's paranoid detector
    }

    private static String q(Path p) {
        return ProxyProcess.quote(p.toAbsolutePath().toString());
    }

    /** Passes a stream through, digesting it; {@link #sha256()} completes at its end. */
    private static final class DigestingStream extends FilterInputStream {
        private final MessageDigest digest = DeterministicBytes.sha256();
        private final CompletableFuture<String> done = new CompletableFuture<>();
        private long count;

        DigestingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                digest.update(b, off, n);
                count += n;
            } else if (n < 0 && !done.isDone()) {
                done.complete(HexFormat.of().formatHex(digest.digest()));
            }
            return n;
        }

        CompletableFuture<String> sha256() {
            return done;
        }

        long count() {
            return count;
        }
    }
}
