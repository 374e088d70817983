package dev.turnpike.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TestBackendTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static TestBackend backend;
    private static HttpClient client;

    @BeforeAll
    static void start() {
        backend = new TestBackend("b1");
        backend.start();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(backend.uri(path)).timeout(TIMEOUT).build(), BodyHandlers.ofString());
    }

    @Test
    void answersItsName() throws Exception {
        HttpResponse<String> response = get("/name");
        assertEquals(200, response.statusCode());
        assertEquals("b1", response.body());
        assertEquals("b1", response.headers().firstValue("X-Backend-Name").orElseThrow());
        assertEquals("b1", get("/anything/else?x=1").body());
    }

    @Test
    void streamsDeterministicBytes() throws Exception {
        int n = 1 << 20;
        HttpResponse<InputStream> response = client.send(
                HttpRequest.newBuilder(backend.uri("/bytes/" + n)).timeout(TIMEOUT).build(), BodyHandlers.ofInputStream());
        assertEquals(String.valueOf(n), response.headers().firstValue("Content-Length").orElseThrow());
        assertEquals(DeterministicBytes.sha256Hex(DeterministicBytes.DEFAULT_SEED, n), sha256(response.body(), n));
    }

    @Test
    void streamsLargeBodiesWithAnotherSeed() throws Exception {
        long n = 64L << 20;
        HttpResponse<InputStream> response = client.send(
                HttpRequest.newBuilder(backend.uri("/bytes/" + n + "?seed=99")).timeout(Duration.ofSeconds(60)).build(),
                BodyHandlers.ofInputStream());
        assertEquals(DeterministicBytes.sha256Hex(99, n), sha256(response.body(), n));
    }

    @Test
    void uploadReportsSizeAndDigestOfChunkedAndSizedBodies() throws Exception {
        long n = 5_000_000;
        HttpResponse<String> chunked = client.send(HttpRequest.newBuilder(backend.uri("/upload")).timeout(TIMEOUT)
                        .POST(BodyPublishers.ofInputStream(() -> DeterministicBytes.stream(7, n))).build(),
                BodyHandlers.ofString());
        assertEquals("{\"bytes\":" + n + ",\"sha256\":\"" + DeterministicBytes.sha256Hex(7, n) + "\"}", chunked.body());
        assertEquals(List.of("chunked"), backend.lastRequestHeaders().get("transfer-encoding"));

        byte[] small = DeterministicBytes.bytes(3, 1234);
        HttpResponse<String> sized = client.send(HttpRequest.newBuilder(backend.uri("/upload")).timeout(TIMEOUT)
                        .expectContinue(true).PUT(BodyPublishers.ofByteArray(small)).build(),
                BodyHandlers.ofString());
        assertEquals("{\"bytes\":1234,\"sha256\":\"" + DeterministicBytes.sha256Hex(small) + "\"}", sized.body());
        assertEquals("application/json", sized.headers().firstValue("Content-Type").orElseThrow());
        assertTrue("100-continue".equalsIgnoreCase(backend.lastRequestHeaders().get("Expect").get(0)));
    }

    @Test
    void echoesAndRecordsTheRequest() throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(backend.uri("/echo?q=1")).timeout(TIMEOUT)
                .header("X-Test", "one").header("X-Test", "two").build(), BodyHandlers.ofString());
        assertTrue(response.body().startsWith("GET /echo?q=1 HTTP/1.1\n"), response.body());
        assertTrue(response.body().contains("X-Test: one\nX-Test: two\n"), response.body());
        assertEquals(List.of("one", "two"), backend.lastRequestHeaders().get("x-test"));
        assertEquals("GET /echo?q=1 HTTP/1.1", backend.lastRequestLine());
    }

    @Test
    void delaysStatusesAndHead() throws Exception {
        long start = System.nanoTime();
        assertEquals("b1", get("/delay/200").body());
        assertTrue(System.nanoTime() - start >= 200_000_000L);

        assertEquals(503, get("/status/503").statusCode());
        HttpResponse<String> noContent = get("/status/204");
        assertEquals(204, noContent.statusCode());
        assertEquals("", noContent.body());
        assertEquals(400, get("/status/abc").statusCode());

        HttpResponse<String> head = client.send(HttpRequest.newBuilder(backend.uri("/bytes/500"))
                .method("HEAD", BodyPublishers.noBody()).timeout(TIMEOUT).build(), BodyHandlers.ofString());
        assertEquals("500", head.headers().firstValue("Content-Length").orElseThrow());
        assertEquals("", head.body());
    }

    @Test
    void countsConnectionsAndRequestsOfAKeepAliveClient() throws Exception {
        try (TestBackend counted = new TestBackend("counted")) {
            counted.start();
            HttpClient own = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (int i = 0; i < 5; i++) {
                assertEquals("counted", own.send(HttpRequest.newBuilder(counted.uri("/name")).build(), BodyHandlers.ofString()).body());
            }
            assertEquals(1, counted.connectionsAccepted());
            assertEquals(5, counted.requestsServed());
            assertEquals(5, counted.requestLines().size());
        }
    }

    @Test
    void silentNeverAnswersAndCloseCloses() throws IOException {
        RawHttp.Exchange silent = RawHttp.exchange(backend.port(), "GET /silent HTTP/1.1\r\nHost: x\r\n\r\n", Duration.ofMillis(300));
        assertFalse(silent.closedByPeer());
        assertEquals(0, silent.bytes().length);

        RawHttp.Exchange closed = RawHttp.exchange(backend.port(), "GET /close HTTP/1.1\r\nHost: x\r\n\r\n", TIMEOUT);
        assertTrue(closed.closedByPeer());
        assertEquals(0, closed.bytes().length);
    }

    @Test
    void answersPipelinedRequestsInOrder() throws IOException {
        try (Socket socket = RawHttp.connect(backend.port(), TIMEOUT)) {
            RawHttp.send(socket, "GET /delay/150 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                    + "GET /status/404 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /name HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            InputStream in = new BufferedInputStream(socket.getInputStream());
            assertEquals("b1", RawHttp.readResponse(in).bodyText());
            assertEquals("{\"bytes\":3,\"sha256\":\"" + DeterministicBytes.sha256Hex("abc".getBytes()) + "\"}",
                    RawHttp.readResponse(in).bodyText());
            assertEquals(404, RawHttp.readResponse(in).status());
            RawHttp.Response last = RawHttp.readResponse(in);
            assertEquals("close", last.header("Connection"));
            assertEquals(-1, in.read());
        }
    }

    @Test
    void rejectsGarbage() throws IOException {
        RawHttp.Exchange exchange = RawHttp.exchange(backend.port(), "NOT HTTP AT ALL\r\n\r\n", TIMEOUT);
        assertTrue(exchange.text().startsWith("HTTP/1.1 400"), exchange.text());
        assertTrue(exchange.closedByPeer());
    }

    private static String sha256(InputStream body, long expectedLength) throws IOException {
        MessageDigest digest = DeterministicBytes.sha256();
        long total = 0;
        try (InputStream in = new DigestInputStream(body, digest)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                total += n;
            }
        }
        assertEquals(expectedLength, total);
        return HexFormat.of().formatHex(digest.digest());
    }
}
