package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.TestBackend;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Malformed requests and failing backends: the right status, and a closed connection where the stream is suspect. */
class BadInputTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    static TestBackend backend;
    static InJvmProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        backend = new TestBackend("b");
        backend.start();
        proxy = InJvmProxy.builder().workers(1).maxHeaderBytes(8 * 1024).readTimeout(Duration.ofMillis(500))
                .headerTimeout(Duration.ofMillis(500)).plugin("route", new Route(backend.port())).start();
    }

    @AfterAll
    static void stop() {
        proxy.close();
        backend.close();
    }

    private static RawHttp.Exchange send(String request) throws Exception {
        return RawHttp.exchange(proxy.port(), request, TIMEOUT);
    }

    private static void assertStatusAndClosed(String request, int status) throws Exception {
        RawHttp.Exchange ex = send(request);
        assertTrue(ex.text().startsWith("HTTP/1.1 " + status + " "), "expected " + status + " for " + request + ", got " + ex.text());
        assertTrue(ex.closedByPeer(), "the connection must be closed after " + status);
    }

    @Test
    void oversizedHeaderSectionIs431() throws Exception {
        String big = "X-Big: " + "a".repeat(10_000) + "\r\n";
        assertStatusAndClosed("GET /name HTTP/1.1\r\nHost: t\r\n" + big + "\r\n", 431);
    }

    @Test
    void tooLongUriIs414ButEightThousandOctetsPass() throws Exception {
        assertStatusAndClosed("GET /" + "u".repeat(9000) + " HTTP/1.1\r\nHost: t\r\n\r\n", 414);
        try (Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            RawHttp.send(s, "GET /name?" + "q".repeat(8000) + " HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, RawHttp.readResponse(s.getInputStream()).status());
        }
    }

    @Test
    void contentLengthWithTransferEncodingIs400AndClosed() throws Exception {
        int before = backend.requestsServed();
        assertStatusAndClosed("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n0\r\n\r\n", 400);
        assertEquals(before, backend.requestsServed(), "a smuggling-shaped request never reaches the backend");
    }

    @Test
    void conflictingContentLengthsAre400AndClosed() throws Exception {
        assertStatusAndClosed("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400);
    }

    @Test
    void unknownTransferCodingIs400AndClosed() throws Exception {
        assertStatusAndClosed("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400);
        assertStatusAndClosed("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: identity\r\n\r\n", 400);
    }

    @Test
    void bodiesOverTheLimitAre413AndClosed() throws Exception {
        try (InJvmProxy p = InJvmProxy.builder().maxBodyBytes(1000).plugin("route", new Route(backend.port())).start()) {
            int before = backend.requestsServed();
            RawHttp.Exchange declared = RawHttp.exchange(p.port(),
                    "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + "x".repeat(5000), TIMEOUT);
            assertTrue(declared.text().startsWith("HTTP/1.1 413 "), declared.text());
            assertTrue(declared.closedByPeer());
            assertEquals(before, backend.requestsServed(), "a declared oversize body never goes upstream");
            String chunk = Integer.toHexString(600) + "\r\n" + "y".repeat(600) + "\r\n";
            RawHttp.Exchange chunked = RawHttp.exchange(p.port(),
                    "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk + chunk + "0\r\n\r\n", TIMEOUT);
            assertTrue(chunked.text().startsWith("HTTP/1.1 413 "), chunked.text());
            assertTrue(chunked.closedByPeer());
            try (Socket s = RawHttp.connect(p.port(), TIMEOUT)) {
                RawHttp.send(s, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + "z".repeat(1000));
                RawHttp.Response ok = RawHttp.readResponse(s.getInputStream());
                assertEquals(200, ok.status(), "a body at the limit passes");
                assertTrue(ok.bodyText().contains("\"bytes\":1000"), ok.bodyText());
            }
        }
    }

    @Test
    void anUnknownExpectationIs417AndClosedSinceTheBodyMayBeHeldBack() throws Exception {
        assertStatusAndClosed("POST /upload HTTP/1.1\r\nHost: t\r\nExpect: something-else\r\nContent-Length: 10\r\n\r\n", 417);
    }

    @Test
    void missingHostInHttp11Is400() throws Exception {
        assertStatusAndClosed("GET /name HTTP/1.1\r\n\r\n", 400);
    }

    @Test
    void garbageIs400AndClosed() throws Exception {
        assertStatusAndClosed("THIS IS NOT HTTP\r\n\r\n", 400);
    }

    @Test
    void backendDownIs502() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (InJvmProxy p = InJvmProxy.builder().plugin("route", new Route(closedPort)).start();
             Socket s = RawHttp.connect(p.port(), TIMEOUT)) {
            RawHttp.send(s, "GET /name HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(502, RawHttp.readResponse(s.getInputStream()).status());
            // The client connection survives an upstream failure: the stream itself was fine.
            RawHttp.send(s, "GET /name HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(502, RawHttp.readResponse(s.getInputStream()).status());
        }
    }

    @Test
    void silentBackendIs504() throws Exception {
        try (Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            RawHttp.send(s, "GET /silent HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(504, RawHttp.readResponse(s.getInputStream()).status());
            RawHttp.send(s, "GET /name HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, RawHttp.readResponse(s.getInputStream()).status(), "the next request on the connection works");
        }
    }

    @Test
    void backendClosingWithoutAnswerIs502() throws Exception {
        try (Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            RawHttp.send(s, "GET /close HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(502, RawHttp.readResponse(s.getInputStream()).status());
        }
    }

    @Test
    void aHeadTrickledTooSlowlyIsCut() throws Exception {
        try (Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            RawHttp.send(s, "GET /name HTTP/1.1\r\nHo");
            InputStream in = s.getInputStream();
            long start = System.nanoTime();
            assertEquals(-1, in.read(), "the proxy closes a connection whose head does not complete");
            assertTrue(System.nanoTime() - start < TIMEOUT.toNanos());
        }
    }

    @Test
    void aClientThatLeavesMidResponseDoesNotHurtTheNext() throws Exception {
        try (Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            RawHttp.send(s, "GET /bytes/50000000 HTTP/1.1\r\nHost: t\r\n\r\n");
            byte[] some = new byte[1024];
            assertTrue(s.getInputStream().read(some) > 0);
        } // closed with most of 50 MB unread
        try (Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            RawHttp.send(s, "GET /name HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, RawHttp.readResponse(s.getInputStream()).status());
        }
    }
}
