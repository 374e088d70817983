package dev.turnpike.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every script mode of the backend, called directly with the JDK client or a raw socket. */
class TestBackendTest {

    final TestBackend backend = TestBackend.start();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void close() {
        backend.close();
    }

    HttpResponse<String> get(String path, Duration timeout) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(backend.uri() + path)).timeout(timeout).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return get(path, Duration.ofSeconds(10));
    }

    @Test
    void fixedAnswerWithStatusHeadersAndBody() throws Exception {
        backend.on("/teapot", Answer.status(418).header("X-A", "1").header("X-A", "2").body("short and stout"));

        HttpResponse<String> r = get("/teapot");

        assertEquals(418, r.statusCode());
        assertEquals(List.of("1", "2"), r.headers().allValues("X-A"));
        assertEquals("short and stout", r.body());
        assertEquals("15", r.headers().firstValue("Content-Length").orElseThrow());
        assertEquals("ok", get("/anything-else").body(), "the default answer");
    }

    @Test
    void queuedAnswersComeFirstInOrderThenPerPathThenTheDefault() throws Exception {
        backend.on("/p", Answer.ok("path"));
        backend.otherwise(Answer.status(404));
        backend.then(Answer.ok("first"), Answer.ok("second"));

        assertEquals("first", get("/p").body());
        assertEquals("second", get("/other").body());
        assertEquals("path", get("/p").body());
        assertEquals(404, get("/other").statusCode());
    }

    @Test
    void recordsMethodPathHeadersAndBody() throws Exception {
        http.send(HttpRequest.newBuilder(URI.create(backend.uri() + "/upload?id=7"))
                .header("X-Test", "yes").POST(HttpRequest.BodyPublishers.ofString("payload")).build(),
                HttpResponse.BodyHandlers.ofString());

        RecordedRequest r = backend.awaitRequests(1).get(0);
        assertEquals("POST", r.method());
        assertEquals("/upload", r.path());
        assertEquals("/upload?id=7", r.target());
        assertEquals("yes", r.header("x-test"));
        assertEquals("payload", r.bodyText());
    }

    @Test
    void readsAChunkedRequestBody() throws Exception {
        try (Socket s = new Socket("127.0.0.1", backend.port())) {
            s.getOutputStream().write(("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            assertTrue(readHead(s.getInputStream()).startsWith("HTTP/1.1 200"));
        }
        assertEquals("abcde", backend.awaitRequests(1).get(0).bodyText());
    }

    @Test
    void delayBeforeTheHead() throws Exception {
        backend.on("/late", Answer.ok("late").delayHead(Duration.ofSeconds(3)));

        assertThrows(HttpTimeoutException.class, () -> get("/late", Duration.ofMillis(200)));
        backend.on("/late", Answer.ok("late").delayHead(Duration.ofMillis(100)));
        assertEquals("late", get("/late").body());
    }

    @Test
    void chunkedBody() throws Exception {
        backend.on("/chunks", Answer.ok("").chunked("ab", "cd", "e"));

        HttpResponse<String> r = get("/chunks");
        assertEquals("abcde", r.body());
        assertEquals("chunked", r.headers().firstValue("Transfer-Encoding").orElseThrow());

        String raw = rawGet("/chunks");
        assertTrue(raw.endsWith("2\r\nab\r\n2\r\ncd\r\n1\r\ne\r\n0\r\n\r\n"), raw);
    }

    @Test
    void slowBodyComesInPieces() throws Exception {
        byte[] body = "0123456789".getBytes(StandardCharsets.US_ASCII);
        backend.on("/slow", Answer.ok(body).slowBody(2, Duration.ofMillis(150)));

        try (Socket s = new Socket("127.0.0.1", backend.port())) {
            s.getOutputStream().write("GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            readHead(in);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            int reads = 0;
            byte[] buf = new byte[64];
            for (int n; (n = in.read(buf)) > 0; ) {
                got.write(buf, 0, n);
                reads++;
            }
            assertArrayEquals(body, got.toByteArray());
            assertTrue(reads >= 2, "the body came in " + reads + " read(s), not spread out");
        }
    }

    @Test
    void resetInsteadOfAnAnswer() {
        backend.on("/reset", Answer.reset());

        assertThrows(IOException.class, () -> get("/reset"));
        // Read before each reset (the JDK client tries an idempotent request once more).
        assertTrue(backend.awaitRequests(1).stream().allMatch(r -> r.path().equals("/reset")), backend.requests()::toString);
    }

    @Test
    void resetInTheMiddleOfTheBody() throws Exception {
        backend.on("/cut", Answer.ok("0123456789").resetAfter(4));

        assertThrows(IOException.class, () -> get("/cut"));
        try (Socket s = new Socket("127.0.0.1", backend.port())) {
            s.getOutputStream().write("GET /cut HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            readHead(in);
            byte[] got = new byte[4];
            assertEquals(4, in.readNBytes(got, 0, 4));
            assertEquals("0123", new String(got, StandardCharsets.US_ASCII));
            assertThrows(SocketException.class, () -> {
                while (in.read() >= 0) {
                    // the reset surfaces as "Connection reset"
                }
            });
        }
    }

    @Test
    void silenceKeepsTheConnectionOpenAndAnswersNothing() throws Exception {
        backend.on("/quiet", Answer.silence());

        assertThrows(HttpTimeoutException.class, () -> get("/quiet", Duration.ofMillis(300)));
        assertEquals("/quiet", backend.awaitRequests(1).get(0).path());
    }

    @Test
    void keepsTheConnectionAliveAcrossRequests() throws Exception {
        try (Socket s = new Socket("127.0.0.1", backend.port())) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int i = 0; i < 3; i++) {
                out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                assertTrue(readHead(in).startsWith("HTTP/1.1 200"));
                assertEquals("ok", new String(in.readNBytes(2), StandardCharsets.US_ASCII));
            }
        }
        assertEquals(1, backend.connectionsAccepted());
        assertEquals(3, backend.requests().size());
    }

    private String rawGet(String path) throws IOException {
        try (Socket s = new Socket("127.0.0.1", backend.port())) {
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /** The response head through its blank line. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed inside the head: " + sb);
            }
            sb.append((char) c);
        }
        return sb.toString();
    }
}
