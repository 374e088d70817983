package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.turnpike.api.HostPort;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;
import dev.turnpike.runtime.metrics.MetricsServer;
import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.TestBackend;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Metrics, access log and request ids, read from the outside: a real scrape, real log events, real headers. */
class ObservabilityTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    TestBackend backend;
    int deadPort;
    InJvmProxy proxy;
    MetricsServer metricsServer;
    AccessLines accessLines;
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** /limited → 429 from the plugin, /dead → a closed port, /boom → the plugin throws, else the backend. */
    final class Mix implements ProxyPlugin<Void> {
        final Peer live;
        final Peer dead;

        Mix() {
            live = Peer.of("127.0.0.1", backend.port());
            dead = Peer.of("127.0.0.1", deadPort);
        }

        @Override
        public Outcome requestFilter(Session s, Void ctx) {
            switch (s.request().path()) {
                case "/limited": return Outcome.respond(Response.status(429).body("slow down").build());
                case "/boom": throw new IllegalStateException("boom");
                default: return Outcome.proceed();
            }
        }

        @Override
        public Outcome upstreamPeer(Session s, Void ctx) {
            return Outcome.upstream(s.request().path().equals("/dead") ? dead : live);
        }
    }

    @BeforeEach
    void start() throws Exception {
        backend = new TestBackend("b");
        backend.start();
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        accessLines = new AccessLines();
        proxy = InJvmProxy.builder().workers(1).plugin("mix", new Mix()).start();
        metricsServer = new MetricsServer(new HostPort("127.0.0.1", 0), proxy.metrics().registry());
    }

    @AfterEach
    void stop() {
        accessLines.close();
        metricsServer.close();
        proxy.close();
        backend.close();
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(proxy.uri(path)).timeout(TIMEOUT);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String scrape() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsServer.port() + "/metrics"))
                .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static double value(String scrape, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " ([0-9.eE+-]+)$", Pattern.MULTILINE).matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private List<AccessLines.Line> awaitLines(int n) throws InterruptedException {
        return accessLines.await(n, TIMEOUT);
    }

    @Test
    void metricsCountExactlyTheTrafficSent() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertEquals(200, get("/name").statusCode());
        }
        assertEquals(429, get("/limited").statusCode());
        assertEquals(502, get("/dead").statusCode());
        assertEquals(500, get("/boom").statusCode());
        awaitLines(6);
        String m = scrape();
        assertEquals(3, value(m, "turnpike_requests_total{method=\"GET\",status=\"200\",}"), m);
        assertEquals(1, value(m, "turnpike_requests_total{method=\"GET\",status=\"429\",}"));
        assertEquals(1, value(m, "turnpike_requests_total{method=\"GET\",status=\"502\",}"));
        assertEquals(1, value(m, "turnpike_requests_total{method=\"GET\",status=\"500\",}"));
        assertEquals(3, value(m, "turnpike_request_duration_seconds_count{method=\"GET\",status_class=\"2xx\",}"));
        assertEquals(1, value(m, "turnpike_request_duration_seconds_count{method=\"GET\",status_class=\"4xx\",}"));
        assertEquals(2, value(m, "turnpike_request_duration_seconds_count{method=\"GET\",status_class=\"5xx\",}"));
        assertEquals(1, value(m, "turnpike_plugin_errors_total{plugin=\"mix\",phase=\"request_filter\",}"));
        String live = "127.0.0.1:" + backend.port();
        String dead = "127.0.0.1:" + deadPort;
        assertEquals(1, value(m, "turnpike_upstream_connect_errors_total{backend=\"" + dead + "\",reason=\"refused\",}"));
        assertEquals(1, value(m, "turnpike_upstream_requests_total{backend=\"" + live + "\",connection=\"new\",}"));
        assertEquals(2, value(m, "turnpike_upstream_requests_total{backend=\"" + live + "\",connection=\"reused\",}"));
        assertEquals(1, value(m, "turnpike_upstream_connections{state=\"idle\",}"), "one keep-alive connection waits in the pool");
        assertEquals(0, value(m, "turnpike_upstream_connections{state=\"in_use\",}"));
        assertTrue(value(m, "turnpike_client_connections_accepted_total") >= 1);
        assertTrue(value(m, "turnpike_client_received_bytes_total") > 0);
        assertTrue(value(m, "turnpike_client_sent_bytes_total") > 0);
        assertTrue(value(m, "turnpike_plugin_duration_seconds_total{plugin=\"mix\",phase=\"upstream_peer\",}") > 0);
        assertTrue(m.contains("jvm_memory_bytes_used") || m.contains("turnpike_"), "the registry is served");
    }

    @Test
    void accessLogLinesCarryTheDocumentedFields() throws Exception {
        get("/name?q=1", "X-Request-Id", "trace-abc");
        get("/limited");
        get("/dead");
        List<AccessLines.Line> lines = awaitLines(3);
        String ok = lines.get(0).text();
        for (String field : new String[] {"ts=", "client=127.0.0.1:", "method=GET", "path=/name?q=1", "status=200",
                "duration_ms=", "bytes_in=0", "bytes_out=1", "upstream=127.0.0.1:" + backend.port(),
                "request_id=trace-abc", "responded_by=-", "error=-"}) {
            assertTrue(ok.contains(field), field + " in " + ok);
        }
        assertEquals(Level.INFO, lines.get(0).level());
        String limited = lines.get(1).text();
        assertTrue(limited.contains("status=429") && limited.contains("responded_by=mix") && limited.contains("upstream=-"), limited);
        assertEquals(Level.WARN, lines.get(1).level(), "a rate-limited request logs at WARN");
        String failed = lines.get(2).text();
        assertTrue(failed.contains("status=502") && failed.contains("upstream=127.0.0.1:" + deadPort), failed);
        assertTrue(!failed.contains("error=-"), "the error is named: " + failed);
    }

    @Test
    void requestIdsAreGeneratedKeptOrReplaced() throws Exception {
        HttpResponse<String> generated = get("/echo");
        String id = generated.headers().firstValue("X-Request-Id").orElse(null);
        assertNotNull(id, "generated when absent");
        assertTrue(generated.body().toLowerCase().contains("x-request-id: " + id.toLowerCase()), "sent upstream: " + generated.body());

        HttpResponse<String> kept = get("/echo", "X-Request-Id", "0f8fad5b-d9cb-469f-a165-70867728950e");
        assertEquals("0f8fad5b-d9cb-469f-a165-70867728950e", kept.headers().firstValue("X-Request-Id").orElse(null));
        assertEquals(List.of("0f8fad5b-d9cb-469f-a165-70867728950e"), backend.lastRequestHeaders().get("X-Request-Id"));

        String tooLong = "a".repeat(2048);
        HttpResponse<String> replaced = get("/echo", "X-Request-Id", tooLong);
        String newId = replaced.headers().firstValue("X-Request-Id").orElse("");
        assertNotEquals(tooLong, newId);
        assertTrue(!newId.isEmpty() && newId.length() <= 128, newId);

        try (Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            RawHttp.send(s, "GET /echo HTTP/1.1\r\nHost: t\r\nX-Request-Id: evil\u0001id here\r\n\r\n");
            RawHttp.Response r = RawHttp.readResponse(s.getInputStream());
            String fromControl = r.header("X-Request-Id");
            assertNotNull(fromControl);
            assertTrue(!fromControl.contains("evil") && !fromControl.contains(" "), fromControl);
        }
    }

    @Test
    void gracefulShutdownLetsTheSlowRequestFinishAndRefusesNewConnections() throws Exception {
        java.util.concurrent.CompletableFuture<HttpResponse<String>> slow = http.sendAsync(
                HttpRequest.newBuilder(proxy.uri("/delay/600")).timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (backend.requestsServed() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5); // the slow request is at the backend
        }
        boolean[] clean = new boolean[1];
        Thread stopper = new Thread(() -> clean[0] = proxy.server().shutdownGracefully(Duration.ofSeconds(5)));
        stopper.start();
        Thread.sleep(100);
        assertThrowsConnect(proxy.port());
        HttpResponse<String> r = slow.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(200, r.statusCode());
        assertEquals("close", r.headers().firstValue("Connection").orElse(""), "the last response says close");
        stopper.join(10_000);
        assertTrue(clean[0], "every request finished within the grace period");
    }

    private static void assertThrowsConnect(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            throw new AssertionError("new connections must be refused after shutdown started, but one was accepted");
        } catch (java.io.IOException expected) {
            // refused: the listener is closed
        }
    }
}
