package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.BodyChunk;
import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;
import dev.turnpike.testing.DeterministicBytes;
import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.TestBackend;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * request_body_filter and response_body_filter: each chunk passes through the plugins, which may
 * replace it, add to the end of the body, or pause it; the framing follows what the plugins
 * declared, and a body that comes out at another length than declared is never sent as if whole.
 */
class BodyPhasesTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    static TestBackend backend;
    static HttpClient http;

    @BeforeAll
    static void start() {
        backend = new TestBackend("b");
        backend.start();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    private static byte[] transform(byte[] in, boolean twice) {
        byte[] out = new byte[twice ? in.length * 2 : in.length];
        for (int i = 0; i < in.length; i++) {
            byte b = (byte) (in[i] ^ 0x20);
            if (twice) {
                out[2 * i] = b;
                out[2 * i + 1] = b;
            } else {
                out[i] = b;
            }
        }
        return out;
    }

    private static byte[] toArray(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }

    /** Flips bit 5 of every response byte (same length); with {@code twice}, doubles each byte and declares it. */
    static final class Flip implements ProxyPlugin<Void> {
        final boolean twice;
        final long declare;

        Flip(boolean twice, long declare) {
            this.twice = twice;
            this.declare = declare;
        }

        @Override
        public Outcome responseFilter(Session s, Void ctx) {
            if (declare != 0) {
                s.response().setBodyLength(declare);
            }
            return Outcome.proceed();
        }

        @Override
        public Outcome responseBodyFilter(Session s, Void ctx, BodyChunk chunk) {
            chunk.replace(transform(toArray(chunk.bytes()), twice));
            return Outcome.proceed();
        }
    }

    @Test
    void aSameLengthTransformKeepsTheContentLength() throws Exception {
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("flip", new Flip(false, 0)).plugin("route", new Route(backend.port())).start()) {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(proxy.uri("/bytes/300000")).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode());
            assertEquals("300000", r.headers().firstValue("content-length").orElse(null));
            assertArrayEquals(transform(DeterministicBytes.bytes(300000), false), r.body());
        }
    }

    @Test
    void aLongerBodyDeclaredUnknownGoesOutChunked() throws Exception {
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("flip", new Flip(true, -1)).plugin("route", new Route(backend.port())).start();
             Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            s.getOutputStream().write("GET /bytes/200000 HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            RawHttp.Response r = RawHttp.readResponse(new BufferedInputStream(s.getInputStream()));
            assertTrue(r.chunked(), "chunked: the length changed");
            assertNull(r.header("Content-Length"));
            assertArrayEquals(transform(DeterministicBytes.bytes(200000), true), r.body());
        }
    }

    @Test
    void toAnHttp10ClientAChangedLengthEndsWithTheConnection() throws Exception {
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("flip", new Flip(true, -1)).plugin("route", new Route(backend.port())).start();
             Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            s.getOutputStream().write("GET /bytes/1000 HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            RawHttp.Response r = RawHttp.readResponse(new BufferedInputStream(s.getInputStream()));
            assertEquals("close", r.header("Connection"));
            assertArrayEquals(transform(DeterministicBytes.bytes(1000), true), r.body());
        }
    }

    @Test
    void aBodyLongerThanItsDeclaredLengthIsCutAndBlamedOnTheFilter() throws Exception {
        Witness w = new Witness();
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("liar", new Flip(true, 1000)).plugin("witness", w)
                .plugin("route", new Route(backend.port())).start()) {
            assertThrows(IOException.class, () -> http.send(HttpRequest.newBuilder(proxy.uri("/bytes/1000")).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofByteArray()));
            Witness.Seen seen = w.next();
            assertEquals(ErrorKind.PLUGIN, seen.kind());
            assertTrue(seen.message().contains("response_body_filter"), seen.message());
        }
    }

    @Test
    void theLastChunkCarriesAnAddition() throws Exception {
        ProxyPlugin<Void> append = new ProxyPlugin<>() {
            @Override
            public Outcome responseFilter(Session s, Void ctx) {
                s.response().setBodyLength(s.response().bodyLength() + 4);
                return Outcome.proceed();
            }

            @Override
            public Outcome responseBodyFilter(Session s, Void ctx, BodyChunk chunk) {
                if (chunk.last()) {
                    chunk.replace(chunk.text(StandardCharsets.UTF_8) + "!END", StandardCharsets.UTF_8);
                }
                return Outcome.proceed();
            }
        };
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("append", append).plugin("route", new Route(backend.port())).start()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(proxy.uri("/name")).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("b!END", r.body());
            assertEquals("5", r.headers().firstValue("content-length").orElse(null), "the declared length");
        }
    }

    /** Upload side: flips every byte, adds "!" at the end, declares the length unknown; optionally thinks a while per chunk. */
    static final class FlipUpload implements ProxyPlugin<Void> {
        final boolean async;

        FlipUpload(boolean async) {
            this.async = async;
        }

        @Override
        public Outcome upstreamRequestFilter(Session s, Void ctx) {
            s.upstreamRequest().setBodyLength(-1);
            return Outcome.proceed();
        }

        @Override
        public Outcome requestBodyFilter(Session s, Void ctx, BodyChunk chunk) {
            byte[] out = transform(toArray(chunk.bytes()), false);
            if (chunk.last()) {
                out = java.util.Arrays.copyOf(out, out.length + 1);
                out[out.length - 1] = '!';
            }
            if (!async) {
                chunk.replace(out);
                return Outcome.proceed();
            }
            byte[] result = out;
            return Outcome.later(CompletableFuture.supplyAsync(() -> {
                chunk.replace(result); // from the completing thread, before completing: allowed
                return Outcome.proceed();
            }, CompletableFuture.delayedExecutor(1, TimeUnit.MILLISECONDS)));
        }
    }

    private static String expectedUpload(int n) {
        byte[] t = transform(DeterministicBytes.bytes(n), false);
        byte[] all = java.util.Arrays.copyOf(t, t.length + 1);
        all[t.length] = '!';
        return "{\"bytes\":" + all.length + ",\"sha256\":\"" + DeterministicBytes.sha256Hex(all) + "\"}";
    }

    @Test
    void anUploadIsTransformedOnTheWayUpAndGoesChunked() throws Exception {
        int n = 500_000;
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("flip", new FlipUpload(false)).plugin("route", new Route(backend.port())).start()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(proxy.uri("/upload")).timeout(TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(DeterministicBytes.bytes(n))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(expectedUpload(n), r.body());
            assertTrue(backend.lastRequestHeaders().getOrDefault("transfer-encoding", java.util.List.of()).contains("chunked"),
                    "sent chunked: " + backend.lastRequestHeaders());
        }
    }

    @Test
    void aFilterThatThinksPerChunkHoldsTheUploadBackAndLosesNothing() throws Exception {
        int n = 2_000_000;
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("flip", new FlipUpload(true)).plugin("route", new Route(backend.port())).start()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(proxy.uri("/upload")).timeout(TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> DeterministicBytes.stream(DeterministicBytes.DEFAULT_SEED, n)))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(expectedUpload(n), r.body());
        }
    }

    @Test
    void aRequestBodyFilterMayRefuseTheRequest() throws Exception {
        ProxyPlugin<Void> waf = new ProxyPlugin<>() {
            @Override
            public Outcome requestBodyFilter(Session s, Void ctx, BodyChunk chunk) {
                return chunk.text(StandardCharsets.US_ASCII).contains("evil")
                        ? Outcome.respond(Response.status(403).body("refused").build()) : Outcome.proceed();
            }
        };
        Witness w = new Witness();
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("waf", waf).plugin("witness", w).plugin("route", new Route(backend.port())).start()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(proxy.uri("/upload")).timeout(TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.ofString("an evil payload")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(403, r.statusCode());
            assertEquals("refused", r.body());
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(proxy.uri("/upload")).timeout(TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.ofString("fine")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode());
            assertTrue(ok.body().contains("\"bytes\":4"), ok.body());
        }
    }
}
