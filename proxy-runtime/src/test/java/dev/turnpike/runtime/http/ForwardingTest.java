package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.TestBackend;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Client → proxy → real backends: what arrives where, and what the proxy adds or removes. */
class ForwardingTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    static TestBackend a;
    static TestBackend b;
    static InJvmProxy proxy;
    static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        a = new TestBackend("a");
        a.start();
        b = new TestBackend("b");
        b.start();
        proxy = InJvmProxy.builder().workers(1).plugin("route", new Route(a.port(), b.port())).start();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
    }

    @AfterAll
    static void stop() {
        proxy.close();
        a.close();
        b.close();
    }

    @Test
    void answersAlternateBetweenBackendsAndUpstreamConnectionsAreReused() throws Exception {
        int connectionsBefore = a.connectionsAccepted() + b.connectionsAccepted();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(proxy.uri("/name")).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            names.add(r.body());
        }
        for (int i = 1; i < names.size(); i++) {
            assertFalse(names.get(i).equals(names.get(i - 1)), "answers must alternate: " + names);
        }
        int opened = a.connectionsAccepted() + b.connectionsAccepted() - connectionsBefore;
        assertTrue(opened <= 2, "40 sequential requests over one event loop should reuse upstream connections, opened " + opened);
    }

    @Test
    void requestHeadersAndBodyArriveIntactAndResponseBodyComesBack() throws Exception {
        byte[] body = new byte[300_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31);
        }
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(proxy.uri("/upload?x=1"))
                .timeout(TIMEOUT)
                .header("X-Custom", "v1")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("\"bytes\":300000"), r.body());
        assertTrue(r.body().contains(dev.turnpike.testing.DeterministicBytes.sha256Hex(body)), r.body());
        TestBackend got = r.headers().firstValue("X-Backend-Name").orElseThrow().equals("a") ? a : b;
        assertEquals(List.of("v1"), got.lastRequestHeaders().get("X-Custom"));
        assertEquals("POST /upload?x=1 HTTP/1.1", got.lastRequestLine());
    }

    @Test
    void hopByHopHeadersAndThoseNamedInConnectionAreNotForwarded() throws Exception {
        String req = "GET /echo HTTP/1.1\r\nHost: example.test\r\nConnection: keep-alive, X-Secret\r\n"
                + "X-Secret: do-not-forward\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Connection: x\r\n"
                + "Upgrade: h2c\r\nX-Kept: yes\r\n\r\n";
        try (Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            RawHttp.send(s, req);
            RawHttp.Response r = RawHttp.readResponse(s.getInputStream());
            assertEquals(200, r.status());
            String echoed = r.bodyText().toLowerCase();
            assertTrue(echoed.contains("x-kept: yes"), echoed);
            assertTrue(echoed.contains("host: example.test"), "Host must be preserved: " + echoed);
            for (String gone : new String[] {"x-secret", "keep-alive", "\nte:", "proxy-connection", "upgrade", "connection:"}) {
                assertFalse(echoed.contains(gone), gone + " must not reach the backend: " + echoed);
            }
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        StringBuilder req = new StringBuilder();
        String[] paths = {"/delay/150", "/name", "/delay/50", "/status/204", "/name"};
        for (String p : paths) {
            req.append("GET ").append(p).append(" HTTP/1.1\r\nHost: t\r\nX-Seq: ").append(p).append("\r\n\r\n");
        }
        try (Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            RawHttp.send(s, req.toString());
            InputStream in = s.getInputStream();
            int[] expected = {200, 200, 200, 204, 200};
            for (int i = 0; i < paths.length; i++) {
                RawHttp.Response r = RawHttp.readResponse(in);
                assertEquals(expected[i], r.status(), "response " + i + " to " + paths[i]);
            }
        }
    }

    @Test
    void http10ClientGetsAnAnswerAndTheConnectionCloses() throws Exception {
        RawHttp.Exchange ex = RawHttp.exchange(proxy.port(), "GET /name HTTP/1.0\r\n\r\n", TIMEOUT);
        assertTrue(ex.closedByPeer(), "HTTP/1.0 without keep-alive ends with a close");
        String text = ex.text();
        assertTrue(text.startsWith("HTTP/1.1 200"), text);
        assertTrue(text.endsWith("a") || text.endsWith("b"), text);
    }

    @Test
    void http10KeepAliveClientKeepsItsConnection() throws Exception {
        try (Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            for (int i = 0; i < 3; i++) {
                RawHttp.send(s, "GET /name HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
                RawHttp.Response r = RawHttp.readResponse(s.getInputStream());
                assertEquals(200, r.status());
                assertEquals("keep-alive", r.header("Connection").toLowerCase());
                assertNull(r.header("Transfer-Encoding"), "no chunked encoding for an HTTP/1.0 client");
            }
        }
    }

    @Test
    void headAnd204And304HaveNoBody() throws Exception {
        try (Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            RawHttp.send(s, "HEAD /bytes/1000 HTTP/1.1\r\nHost: t\r\n\r\nGET /status/304 HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET /status/204 HTTP/1.1\r\nHost: t\r\n\r\nGET /name HTTP/1.1\r\nHost: t\r\n\r\n");
            InputStream in = s.getInputStream();
            RawHttp.Response head = RawHttp.readResponse(in, true);
            assertEquals(200, head.status());
            assertEquals("1000", head.header("Content-Length"), "HEAD keeps the length of the GET");
            assertEquals(0, head.body().length);
            assertEquals(304, RawHttp.readResponse(in).status());
            assertEquals(204, RawHttp.readResponse(in).status());
            RawHttp.Response last = RawHttp.readResponse(in);
            assertEquals(200, last.status(), "the stream stays in step after bodiless responses");
            assertTrue(last.bodyText().equals("a") || last.bodyText().equals("b"));
        }
    }

    @Test
    void expectContinueGets100ThenTheFinalResponse() throws Exception {
        try (Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            RawHttp.Response interim = RawHttp.readResponse(in, true);
            assertEquals(100, interim.status());
            out.write("hello".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            RawHttp.Response r = RawHttp.readResponse(in);
            assertEquals(200, r.status());
            assertTrue(r.bodyText().contains("\"bytes\":5"), r.bodyText());
        }
    }

    @Test
    void chunkedUploadIsForwardedChunked() throws Exception {
        String req = "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        try (Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            RawHttp.send(s, req);
            RawHttp.Response r = RawHttp.readResponse(s.getInputStream());
            assertEquals(200, r.status());
            assertTrue(r.bodyText().contains("\"bytes\":11"), r.bodyText());
            assertTrue(r.bodyText().contains(dev.turnpike.testing.DeterministicBytes.sha256Hex(
                    "hello world".getBytes(StandardCharsets.US_ASCII))), r.bodyText());
        }
    }

    @Test
    void absoluteFormTargetBecomesOriginFormWithItsHost() throws Exception {
        try (Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            RawHttp.send(s, "GET http://other.test:81/echo?q=1 HTTP/1.1\r\nHost: ignored.test\r\n\r\n");
            RawHttp.Response r = RawHttp.readResponse(s.getInputStream());
            assertEquals(200, r.status());
            String echoed = r.bodyText();
            assertTrue(echoed.startsWith("GET /echo?q=1 HTTP/1.1"), echoed);
            assertTrue(echoed.toLowerCase().contains("host: other.test:81"), echoed);
        }
    }

    @Test
    void responseHeadersFromTheBackendReachTheClient() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(proxy.uri("/status/201")).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode());
        Map<String, List<String>> h = r.headers().map();
        assertTrue(h.containsKey("x-backend-name"), h.toString());
    }
}
