package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Timeouts blame the side that was slow. A client that stops reading is the client's timeout
 * ({@code server.send_timeout}), never the backend's read timeout: the backend's silence clock runs
 * only while the proxy is reading from it. A client that stops sending its body is the client's
 * timeout too ({@code server.request_body_timeout}), also while a local answer drains the body.
 * None of these reach the failure hooks or a backend's counters.
 */
class TimeoutBlameTest {

    private static final int SIZE = 20 << 20;
    private static final Duration SHORT = Duration.ofMillis(500);
    /** Longer than every short timeout above, so a wrong clock would certainly fire. */
    private static final long PAUSE_MILLIS = 2_000;

    static TestBackend backend;

    @BeforeAll
    static void start() {
        backend = new TestBackend("b");
        backend.start();
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    private static Socket connect(InJvmProxy proxy) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(32 * 1024); // so the pause leaves the proxy with bytes it cannot send
        s.setSoTimeout(30_000);
        s.connect(new InetSocketAddress("127.0.0.1", proxy.port()));
        return s;
    }

    @Test
    void aClientThatPausesIsNotTheBackendsTimeout() throws Exception {
        Witness w = new Witness();
        try (InJvmProxy proxy = InJvmProxy.builder().workers(1).readTimeout(SHORT)
                .plugin("witness", w).plugin("route", new Route(backend.port())).start();
             Socket s = connect(proxy)) {
            s.getOutputStream().write(("GET /bytes/" + SIZE + " HTTP/1.1\r\nHost: t\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = new BufferedInputStream(s.getInputStream());
            RawHttp.Response head = RawHttp.readResponse(in, true);
            assertEquals(200, head.status());
            MessageDigest digest = DeterministicBytes.sha256();
            long got = RawHttp.digestUpTo(in, 200 * 1024, digest);
            Thread.sleep(PAUSE_MILLIS); // four read timeouts: the old clock cut the download here
            got += RawHttp.digestUpTo(in, SIZE - got, digest);
            assertEquals(SIZE, got, "the whole body arrives");
            assertEquals(DeterministicBytes.sha256Hex(DeterministicBytes.DEFAULT_SEED, SIZE), HexFormat.of().formatHex(digest.digest()));
            Witness.Seen seen = w.next();
            assertEquals(null, seen.kind(), "nothing failed: " + seen);
            assertEquals(List.of(), w.hooks, "no failure reached the hooks");
            assertEquals(0.0, proxy.metric("turnpike_upstream_timeouts_total"));
        }
    }

    @Test
    void aClientThatTakesNothingForTheSendTimeoutIsCutAsTheClients() throws Exception {
        Witness w = new Witness();
        try (InJvmProxy proxy = InJvmProxy.builder().workers(1).sendTimeout(SHORT)
                .plugin("witness", w).plugin("route", new Route(backend.port())).start();
             Socket s = connect(proxy)) {
            s.getOutputStream().write(("GET /bytes/" + SIZE + " HTTP/1.1\r\nHost: t\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = new BufferedInputStream(s.getInputStream());
            assertEquals(200, RawHttp.readResponse(in, true).status());
            long got = RawHttp.digestUpTo(in, 200 * 1024, DeterministicBytes.sha256());
            Witness.Seen seen = w.next(); // the proxy gives up on the client while it pauses
            got += RawHttp.digestUpTo(in, SIZE, DeterministicBytes.sha256());
            assertTrue(got < SIZE, "the response was cut: " + got + " of " + SIZE);
            assertEquals(ErrorKind.CLIENT_TIMEOUT, seen.kind(), seen.toString());
            assertTrue(seen.message().contains("server.send_timeout"), seen.message());
            assertEquals(200, seen.status(), "the head had gone out");
            assertEquals(List.of(), w.hooks, "a slow client is never reported as the backend's failure");
            assertEquals(0.0, proxy.metric("turnpike_upstream_timeouts_total"));
            assertEquals(1.0, proxy.metric("turnpike_client_timeouts_total"));
        }
    }

    @Test
    void aBodyThatStopsIsTheClientsTimeoutAnswered408() throws Exception {
        Witness w = new Witness();
        try (InJvmProxy proxy = InJvmProxy.builder().workers(1).requestBodyTimeout(SHORT)
                .plugin("witness", w).plugin("route", new Route(backend.port())).start();
             Socket s = connect(proxy)) {
            OutputStream out = s.getOutputStream();
            out.write("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n0123456789".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = new BufferedInputStream(s.getInputStream());
            RawHttp.Response r = RawHttp.readResponse(in); // comes once the body timeout ran out
            assertEquals(408, r.status());
            assertEquals("close", r.header("Connection"));
            assertEquals(-1, in.read(), "the connection is closed: the stream is out of step");
            Witness.Seen seen = w.next();
            assertEquals(ErrorKind.CLIENT_TIMEOUT, seen.kind());
            assertTrue(seen.message().contains("server.request_body_timeout"), seen.message());
            assertEquals(List.of(), w.hooks, "the backend that waited for the body is not blamed");
            assertEquals(1.0, proxy.metric("turnpike_client_timeouts_total"));
        }
    }

    @Test
    void aBodyThatStopsWhileALocalAnswerDrainsItIsClosed() throws Exception {
        ProxyPlugin<Void> refuse = new ProxyPlugin<>() {
            @Override
            public Outcome requestFilter(Session session, Void ctx) {
                return Outcome.respond(Response.status(403).body("no").build());
            }
        };
        try (InJvmProxy proxy = InJvmProxy.builder().workers(1).requestBodyTimeout(SHORT).plugin("refuse", refuse).start();
             Socket s = connect(proxy)) {
            s.getOutputStream().write("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n0123456789"
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = new BufferedInputStream(s.getInputStream());
            RawHttp.Response r = RawHttp.readResponse(in);
            assertEquals(403, r.status());
            assertEquals(null, r.header("Connection"), "the rest is small: the proxy means to read and drop it");
            assertEquals(-1, in.read(), "a body that stops while being dropped ends with the connection");
            assertEquals(1.0, proxy.metric("turnpike_client_timeouts_total"));
        }
    }

    @Test
    void aSlowUploadDoesNotTimeOutTheBackendWaitingForIt() throws Exception {
        Witness w = new Witness();
        try (InJvmProxy proxy = InJvmProxy.builder().workers(1).readTimeout(Duration.ofMillis(300))
                .plugin("witness", w).plugin("route", new Route(backend.port())).start();
             Socket s = connect(proxy)) {
            OutputStream out = s.getOutputStream();
            out.write("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            for (char c : "hello".toCharArray()) {
                Thread.sleep(200); // five pauses, each short of the body timeout, all past the read timeout
                out.write(c);
                out.flush();
            }
            RawHttp.Response r = RawHttp.readResponse(new BufferedInputStream(s.getInputStream()));
            assertEquals(200, r.status(), r.bodyText());
            assertTrue(r.bodyText().contains("\"bytes\":5"), r.bodyText());
            assertEquals(null, w.next().kind());
            assertEquals(List.of(), w.hooks);
        }
    }
}
