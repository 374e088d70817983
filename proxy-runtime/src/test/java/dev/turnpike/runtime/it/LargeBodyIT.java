package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.DeterministicBytes;
import dev.turnpike.testing.TestBackend;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1 GiB each way through a proxy JVM limited to 64 MiB of heap (and so of direct memory): bodies
 * must stream, never be aggregated. The test side never holds a body either: the download is hashed
 * as it is read, the upload generated as it is sent, and both compared with the SHA-256 of the same
 * {@link DeterministicBytes}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LargeBodyIT {

    private static final long GIB = 1L << 30;
    private static final Pattern BYTES = Pattern.compile("\"bytes\"\\s*:\\s*(\\d+)");
    private static final Pattern SHA = Pattern.compile("\"sha256\"\\s*:\\s*\"([0-9a-f]{64})\"");

    @TempDir
    static Path dir;

    private static TestBackend backend;
    private static ProxyProcess proxy;
    private static HttpClient client;
    /** The expected digest, computed beside the first transfer (both take seconds). */
    private static CompletableFuture<String> expectedSha;

    @BeforeAll
    static void start() throws Exception {
        expectedSha = CompletableFuture.supplyAsync(() -> DeterministicBytes.sha256Hex(DeterministicBytes.DEFAULT_SEED, GIB));
        backend = new TestBackend("big");
        backend.start();
        proxy = ProxyProcess.builder(dir).workers(1).backends(backend).start();
        client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (proxy != null) {
                proxy.close();
            }
        } finally {
            if (backend != null) {
                backend.close();
            }
        }
    }

    @Test
    @Order(1)
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void downloadsOneGibibyteStreamed() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(proxy.uri("/bytes/" + GIB))
                .timeout(Duration.ofSeconds(30)) // until the response head
                .GET()
                .build();
        HttpResponse<InputStream> response = client.send(request, BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode(), "status");
        MessageDigest digest = DeterministicBytes.sha256();
        long total = 0;
        try (InputStream in = response.body()) {
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) >= 0; ) {
                digest.update(buf, 0, n);
                total += n;
            }
        }
        assertEquals(GIB, total, "bytes received");
        assertEquals(expected(), HexFormat.of().formatHex(digest.digest()), "sha256 of the body received");
        assertProxyHealthy();
    }

    @Test
    @Order(2)
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void uploadsOneGibibyteChunked() throws Exception {
        // ofInputStream has no known length: the client sends Transfer-Encoding: chunked.
        upload(BodyPublishers.ofInputStream(() -> DeterministicBytes.stream(DeterministicBytes.DEFAULT_SEED, GIB)));
        String te = String.join(",", backend.lastRequestHeaders().getOrDefault("Transfer-Encoding", List.of()));
        assertEquals("chunked", te.toLowerCase(Locale.ROOT), "the upstream request's Transfer-Encoding");
    }

    @Test
    @Order(3)
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void uploadsOneGibibyteWithContentLength() throws Exception {
        upload(BodyPublishers.fromPublisher(
                BodyPublishers.ofInputStream(() -> DeterministicBytes.stream(DeterministicBytes.DEFAULT_SEED, GIB)), GIB));
        assertEquals(List.of(String.valueOf(GIB)), backend.lastRequestHeaders().get("Content-Length"),
                "the upstream request's Content-Length");
    }

    private void upload(BodyPublisher body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(proxy.uri("/upload"))
                .timeout(Duration.ofSeconds(80)) // the response head comes after the whole body
                .POST(body)
                .build();
        HttpResponse<String> response = client.send(request, BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), () -> "status; body: " + response.body());
        String json = response.body();
        Matcher bytes = BYTES.matcher(json);
        Matcher sha = SHA.matcher(json);
        assertTrue(bytes.find(), () -> "no bytes in " + json);
        assertTrue(sha.find(), () -> "no sha256 in " + json);
        assertEquals(String.valueOf(GIB), bytes.group(1), () -> "bytes the backend received: " + json);
        assertEquals(expected(), sha.group(1), () -> "sha256 of what the backend received: " + json);
        assertProxyHealthy();
    }

    private static String expected() throws Exception {
        return expectedSha.get(60, TimeUnit.SECONDS);
    }

    private static void assertProxyHealthy() {
        proxy.assertAlive();
        String log = proxy.log();
        assertFalse(log.contains("OutOfMemoryError") || log.contains("OutOfDirectMemoryError"),
                () -> "the proxy ran out of memory:\n" + ProxyProcess.tail(log, 12_000));
    }
}
