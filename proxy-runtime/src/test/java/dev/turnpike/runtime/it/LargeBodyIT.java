package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.DeterministicBytes;
import dev.turnpike.testing.TestBackend;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
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
    /** Four times the proxy's whole heap (and direct memory limit): plenty to kill a proxy that buffers during a stall. */
    private static final long STALLED = 256L << 20;
    /** How long the reading side stalls; at local speeds a proxy ignoring backpressure takes in far more than 64 MiB. */
    private static final long STALL_MILLIS = 3_000;
    private static final Pattern BYTES = Pattern.compile("\"bytes\"\\s*:\\s*(\\d+)");
    private static final Pattern SHA = Pattern.compile("\"sha256\"\\s*:\\s*\"([0-9a-f]{64})\"");

    @TempDir
    static Path dir;

    private static TestBackend backend;
    private static ProxyProcess proxy;
    private static HttpClient client;
    /** The expected digest, computed beside the first transfer (both take seconds). */
    private static CompletableFuture<String> expectedSha;
    private static CompletableFuture<String> expectedStalledSha;

    @BeforeAll
    static void start() throws Exception {
        expectedSha = CompletableFuture.supplyAsync(() -> DeterministicBytes.sha256Hex(DeterministicBytes.DEFAULT_SEED, GIB));
        expectedStalledSha = CompletableFuture.supplyAsync(() -> DeterministicBytes.sha256Hex(DeterministicBytes.DEFAULT_SEED, STALLED));
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
        HttpResponse<InputStream> response = send(proxy, request, BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode(), "status");
        MessageDigest digest = DeterministicBytes.sha256();
        long total;
        try (InputStream in = response.body()) {
            total = hash(in, digest, Long.MAX_VALUE);
        }
        assertEquals(GIB, total, "bytes received");
        assertEquals(expected(), HexFormat.of().formatHex(digest.digest()), "sha256 of the body received");
        assertProxyHealthy();
    }

    /**
     * The client stops reading for a few seconds after the first MiB while the backend could go on
     * sending at full speed: the proxy must stop reading the backend (backpressure), not queue what
     * it receives; 256 MiB cannot fit in its 64 MiB.
     */
    @Test
    @Order(4)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void downloadToAStalledClientIsBackpressured() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(proxy.uri("/bytes/" + STALLED))
                .timeout(Duration.ofSeconds(30))
                .GET()
                .build();
        HttpResponse<InputStream> response = send(proxy, request, BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode(), "status");
        MessageDigest digest = DeterministicBytes.sha256();
        long total;
        try (InputStream in = response.body()) {
            total = hash(in, digest, 1 << 20);
            Thread.sleep(STALL_MILLIS);
            assertProxyHealthy();
            total += hash(in, digest, Long.MAX_VALUE);
        }
        assertEquals(STALLED, total, "bytes received");
        assertEquals(expectedStalledSha.get(60, TimeUnit.SECONDS), HexFormat.of().formatHex(digest.digest()),
                "sha256 of the body received");
        assertProxyHealthy();
    }

    /**
     * The backend accepts the connection and then reads nothing for a few seconds while the client
     * uploads at full speed: the proxy must stop reading the client, not queue the body. Then the
     * backend reads it all and must get every byte, in order.
     */
    @Test
    @Order(5)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void uploadToAStalledBackendIsBackpressured() throws Exception {
        try (StalledBackend stalled = new StalledBackend(STALL_MILLIS);
             ProxyProcess viaStalled = ProxyProcess.builder(Files.createDirectories(dir.resolve("stalled")))
                     .workers(1)
                     .backends("127.0.0.1:" + stalled.port())
                     .start()) {
            HttpRequest request = HttpRequest.newBuilder(viaStalled.uri("/upload"))
                    .timeout(Duration.ofSeconds(50))
                    .POST(BodyPublishers.fromPublisher(BodyPublishers.ofInputStream(
                            () -> DeterministicBytes.stream(DeterministicBytes.DEFAULT_SEED, STALLED)), STALLED))
                    .build();
            HttpResponse<String> response;
            try {
                response = client.send(request, BodyHandlers.ofString());
            } catch (IOException e) {
                throw new AssertionError("the upload failed: " + e + "; stalled backend: " + stalled.outcome()
                        + "; proxy " + viaStalled.state() + "; its log:\n"
                        + ProxyProcess.tail(viaStalled.log(), 12_000), e);
            }
            assertEquals(200, response.statusCode(), () -> "status; body: " + response.body() + "; log:\n"
                    + ProxyProcess.tail(viaStalled.log(), 12_000));
            StalledBackend.Received got = stalled.received(10, TimeUnit.SECONDS);
            assertEquals(STALLED, got.bytes(), "bytes the stalled backend received");
            assertEquals(expectedStalledSha.get(60, TimeUnit.SECONDS), got.sha256(), "sha256 of what the stalled backend received");
            viaStalled.assertAlive();
            String log = viaStalled.log();
            assertFalse(log.contains("OutOfMemoryError") || log.contains("OutOfDirectMemoryError"),
                    () -> "the proxy ran out of memory:\n" + ProxyProcess.tail(log, 12_000));
        }
    }

    /** {@code client.send}, failing with the proxy's state and log when the exchange fails. */
    private static <T> HttpResponse<T> send(ProxyProcess via, HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws InterruptedException {
        try {
            return client.send(request, handler);
        } catch (IOException e) {
            throw new AssertionError(request.method() + " " + request.uri() + " failed: " + e + "; proxy "
                    + via.state() + "; its log:\n"
                    + ProxyProcess.tail(via.log(), 12_000), e);
        }
    }

    /** Reads at most {@code limit} bytes of {@code in} into {@code digest}; @return how many. */
    private static long hash(InputStream in, MessageDigest digest, long limit) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        while (total < limit) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, limit - total));
            if (n < 0) {
                break;
            }
            digest.update(buf, 0, n);
            total += n;
        }
        return total;
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
        HttpResponse<String> response = send(proxy, request, BodyHandlers.ofString());
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
