package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.TestBackend;
import dev.turnpike.testing.TextLines;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1 GiB of text through the docs' body-rewrite plugin (a response_body_filter), in a proxy JVM with
 * 64 MiB of heap: every "fox" becomes "wolf" as the body streams, so the body grows, goes out
 * chunked, and is checked against the SHA-256 of the same transformation done here. The proxy
 * never holds the body; neither does the test.
 */
class BodyFilterIT {

    private static final int LINE = TextLines.LINE.length();
    /** Whole lines, just under 1 GiB. */
    private static final long SIZE = ((1L << 30) / LINE) * LINE;
    private static final byte[] OUT_LINE = TextLines.LINE.replace("fox", "wolf").getBytes(StandardCharsets.US_ASCII);

    @TempDir
    static Path dir;
    static TestBackend backend;
    static ProxyProcess proxy;

    @BeforeAll
    static void start() throws Exception {
        backend = new TestBackend("text");
        backend.start();
        proxy = ProxyProcess.builder(dir).workers(1)
                .pluginJars(ProxyProcess.docsJar("body-rewrite-plugin", "body-rewrite"))
                .chainYaml("    - id: body-rewrite\n      config: { find: fox, replace: wolf }\n"
                        + "    - id: load-balancer\n      config: { backends: ['127.0.0.1:" + backend.port() + "'] }\n")
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            proxy.close();
        } finally {
            backend.close();
        }
    }

    private static String expectedSha(long lines) {
        MessageDigest d = dev.turnpike.testing.DeterministicBytes.sha256();
        byte[] block = new byte[OUT_LINE.length * 1024];
        for (int i = 0; i < 1024; i++) {
            System.arraycopy(OUT_LINE, 0, block, i * OUT_LINE.length, OUT_LINE.length);
        }
        long left = lines;
        while (left >= 1024) {
            d.update(block);
            left -= 1024;
        }
        d.update(block, 0, (int) left * OUT_LINE.length);
        return HexFormat.of().formatHex(d.digest());
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void oneGibibyteIsRewrittenWhileItStreams() throws Exception {
        CompletableFuture<String> expected = CompletableFuture.supplyAsync(() -> expectedSha(SIZE / LINE));
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(proxy.uri("/text/" + SIZE))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-length").isEmpty(), "the length changed: no Content-Length");
        MessageDigest digest = dev.turnpike.testing.DeterministicBytes.sha256();
        long got = 0;
        try (InputStream in = r.body()) {
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                digest.update(buf, 0, n);
                got += n;
            }
        }
        assertEquals(SIZE / LINE * OUT_LINE.length, got, "every line grew by one byte");
        assertEquals(expected.get(), HexFormat.of().formatHex(digest.digest()));
        proxy.assertAlive();
    }
}
