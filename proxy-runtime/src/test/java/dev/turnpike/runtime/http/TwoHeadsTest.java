package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.TestBackend;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The client's request and the upstream request are two heads: upstream_request_filter edits the
 * upstream one, the client's stays as received, and logging sees both. The facts the framing rests
 * on come from what was actually sent: a GET the filter turned into a HEAD has no body to wait for,
 * and a HEAD turned into a GET does not send its body to the client.
 */
class TwoHeadsTest {

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

    /** upstream_request_filter: sets the method (when asked by X-Method) and adds a header. */
    static final class Rewrite implements ProxyPlugin<Void> {
        final AtomicReference<Throwable> clientEdit = new AtomicReference<>();

        @Override
        public Outcome upstreamRequestFilter(Session s, Void ctx) {
            String method = s.request().headers().get("X-Method");
            if (method != null) {
                s.upstreamRequest().setMethod(method);
            }
            s.upstreamRequest().headers().set("X-Upstream-Only", "1").remove("X-Drop");
            try {
                s.request().headers().set("X-Late", "no");
            } catch (IllegalStateException e) {
                clientEdit.set(e);
            }
            return Outcome.proceed();
        }
    }

    @Test
    void theClientsHeadStaysAsReceivedAndLoggingSeesBoth() throws Exception {
        Rewrite rewrite = new Rewrite();
        Witness w = new Witness();
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("rewrite", rewrite).plugin("witness", w)
                .plugin("route", new Route(backend.port())).start();
             Socket s = RawHttp.connect(proxy.port(), Duration.ofSeconds(20))) {
            s.getOutputStream().write("GET /echo HTTP/1.1\r\nHost: t\r\nX-Drop: 1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            RawHttp.Response r = RawHttp.readResponse(new BufferedInputStream(s.getInputStream()));
            String echoed = r.bodyText().toLowerCase();
            assertTrue(echoed.contains("x-upstream-only: 1"), echoed);
            assertFalse(echoed.contains("x-drop"), echoed);
            Witness.Seen seen = w.next();
            assertTrue(seen.clientHeaders().toLowerCase().contains("x-drop"), "the client's head: " + seen.clientHeaders());
            assertFalse(seen.clientHeaders().toLowerCase().contains("x-upstream-only"), seen.clientHeaders());
            assertTrue(seen.upstreamHeaders().toLowerCase().contains("x-upstream-only"), "the upstream head: " + seen.upstreamHeaders());
            assertTrue(rewrite.clientEdit.get() instanceof IllegalStateException,
                    "the client's head is read-only once the upstream head exists");
        }
    }

    @Test
    void aGetSentUpstreamAsHeadGetsAnEmptyBodyAndTheConnectionGoesOn() throws Exception {
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("rewrite", new Rewrite()).plugin("route", new Route(backend.port())).start();
             Socket s = RawHttp.connect(proxy.port(), Duration.ofSeconds(20))) {
            OutputStream out = s.getOutputStream();
            InputStream in = new BufferedInputStream(s.getInputStream());
            out.write("GET /bytes/1000 HTTP/1.1\r\nHost: t\r\nX-Method: HEAD\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            RawHttp.Response r = RawHttp.readResponse(in);
            assertEquals(200, r.status());
            assertEquals("0", r.header("Content-Length"), "the backend sent no body: the client is told so, not left waiting");
            out.write("GET /name HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("b", RawHttp.readResponse(in).bodyText(), "the connection is still in step");
        }
    }

    @Test
    void aHeadSentUpstreamAsGetSendsNoBodyToTheClient() throws Exception {
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("rewrite", new Rewrite()).plugin("route", new Route(backend.port())).start();
             Socket s = RawHttp.connect(proxy.port(), Duration.ofSeconds(20))) {
            OutputStream out = s.getOutputStream();
            InputStream in = new BufferedInputStream(s.getInputStream());
            out.write("HEAD /bytes/1000 HTTP/1.1\r\nHost: t\r\nX-Method: GET\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            RawHttp.Response r = RawHttp.readResponse(in, true);
            assertEquals(200, r.status());
            assertEquals("1000", r.header("Content-Length"), "the head describes the body a GET would get");
            out.write("GET /name HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("b", RawHttp.readResponse(in).bodyText(), "no body bytes were sent after the HEAD's head");
        }
    }

    @Test
    void theUpstreamHeadCannotBeEditedOutsideItsPhase() throws Exception {
        AtomicReference<Throwable> late = new AtomicReference<>();
        ProxyPlugin<Void> lateEdit = new ProxyPlugin<>() {
            @Override
            public Outcome responseFilter(Session s, Void ctx) {
                late.set(assertThrows(IllegalStateException.class, () -> s.upstreamRequest().headers().set("X", "y")));
                return Outcome.proceed();
            }
        };
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("late", lateEdit).plugin("route", new Route(backend.port())).start();
             Socket s = RawHttp.connect(proxy.port(), Duration.ofSeconds(20))) {
            s.getOutputStream().write("GET /name HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(200, RawHttp.readResponse(new BufferedInputStream(s.getInputStream())).status());
            assertTrue(late.get() != null);
        }
    }

    /** response_filter: sets the status X-Status asks for, and records a refused 1xx. */
    static final class Restatus implements ProxyPlugin<Void> {
        final AtomicReference<Throwable> refused = new AtomicReference<>();

        @Override
        public Outcome responseFilter(Session s, Void ctx) {
            try {
                s.response().setStatus(101);
            } catch (IllegalArgumentException e) {
                refused.set(e);
            }
            s.response().setStatus(Integer.parseInt(s.request().headers().get("X-Status")));
            return Outcome.proceed();
        }
    }

    @Test
    void aBodilessStatusMadeAnotherGetsAnEmptyBodyAndTheConnectionGoesOn() throws Exception {
        Restatus restatus = new Restatus();
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("restatus", restatus).plugin("route", new Route(backend.port())).start();
             Socket s = RawHttp.connect(proxy.port(), Duration.ofSeconds(20))) {
            OutputStream out = s.getOutputStream();
            InputStream in = new BufferedInputStream(s.getInputStream());
            out.write("GET /status/204 HTTP/1.1\r\nHost: t\r\nX-Status: 200\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            RawHttp.Response r = RawHttp.readResponse(in);
            assertEquals(200, r.status());
            assertEquals("0", r.header("Content-Length"), "a 200 needs a length; nothing came with the 204");
            out.write("GET /name HTTP/1.1\r\nHost: t\r\nX-Status: 204\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            RawHttp.Response made204 = RawHttp.readResponse(in);
            assertEquals(204, made204.status());
            assertEquals(0, made204.body().length, "a 204 carries no body, whatever the backend sent");
            out.write("GET /name HTTP/1.1\r\nHost: t\r\nX-Status: 200\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("b", RawHttp.readResponse(in).bodyText(), "still in step");
            assertTrue(restatus.refused.get() instanceof IllegalArgumentException, "a 1xx is no final status");
        }
    }
}
