package dev.turnpike.plugins.tracing;

import static dev.turnpike.plugins.tracing.Traced.assertTraceparent;
import static dev.turnpike.plugins.tracing.Traced.traceparent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Response;
import dev.turnpike.api.UpstreamConnection;
import dev.turnpike.testkit.phases.Exchange;
import dev.turnpike.testkit.phases.FakeSession;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The spans the phases make: one SERVER span per request, one CLIENT span per upstream attempt
 * (child of the SERVER span), the attempt's context in the upstream head, and the outcome on each.
 */
class SpanPerPhaseTest {

    private static final Peer A = Peer.of("10.0.0.1", 8080);
    private static final Peer B = Peer.of("10.0.0.2", 8081);
    private static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";

    @Test
    void aRequestWithoutContextStartsATraceWhoseClientSpanGoesUpstream() {
        try (Traced t = new Traced()) {
            Exchange<RequestTrace> x = t.harness.run(FakeSession.get("/orders/7?x=1")
                    .header("Host", "shop.example:8443").header("User-Agent", "curl/8").peer(A), 200);

            SpanData server = t.onlyServer();
            List<SpanData> clients = t.spans(SpanKind.CLIENT);
            assertEquals(1, clients.size(), () -> "one attempt, one CLIENT span: " + t.spans());
            SpanData client = clients.get(0);
            assertFalse(server.getParentSpanContext().isValid(), "no incoming context: the SERVER span is a root");
            assertEquals(server.getTraceId(), client.getTraceId());
            assertEquals(server.getSpanId(), client.getParentSpanId(), "the CLIENT span is the SERVER span's child");
            // the backend gets the attempt's context
            assertTraceparent(client.getTraceId(), client.getSpanId(), true, x.session().upstreamRequest().headers().get("traceparent"));

            assertEquals("GET", server.getName());
            assertEquals("GET", attr(server, "http.request.method"));
            assertEquals("/orders/7", attr(server, "url.path"));
            assertEquals("http", attr(server, "url.scheme"));
            assertEquals("shop.example", attr(server, "server.address"));
            assertEquals(8443L, attr(server, "server.port"));
            assertEquals("192.0.2.10", attr(server, "client.address"));
            assertEquals("curl/8", attr(server, "user_agent.original"));
            assertEquals("1.1", attr(server, "network.protocol.version"));
            assertEquals(200L, attr(server, "http.response.status_code"));
            assertEquals(1L, attr(server, "turnpike.upstream.attempts"));
            assertEquals("test-request", attr(server, "turnpike.request_id"));
            assertEquals(StatusCode.UNSET, server.getStatus().getStatusCode());

            assertEquals("10.0.0.1", attr(client, "server.address"));
            assertEquals(8080L, attr(client, "server.port"));
            assertEquals("http://10.0.0.1:8080/orders/7?x=1", attr(client, "url.full"));
            assertEquals(1L, attr(client, "turnpike.attempt"));
            assertNull(attr(client, "http.request.resend_count"), "the first attempt is no resend");
            assertEquals(200L, attr(client, "http.response.status_code"));
            assertEquals(false, attr(client, "turnpike.upstream.connection_reused"));
            assertEquals(2, t.spans().size());
            assertEquals(2.0, t.harness.metrics().value(Tracing.ENDED_METRIC));
        }
    }

    @Test
    void aFailedConnectAndARetryMakeTwoClientSpansUnderOneServerSpan() {
        try (Traced t = new Traced()) {
            Exchange<RequestTrace> x = t.harness.exchange(FakeSession.get("/retry").peer(A));
            x.requestFilter();
            x.upstreamRequestFilter();
            String first = x.session().upstreamRequest().headers().get("traceparent");
            assertFalse(x.failToConnect(ErrorKind.CONNECT_REFUSED), "tracing never asks for a retry itself");
            x.session().peer(B);
            x.upstreamRequestFilter();
            String second = x.session().upstreamRequest().headers().get("traceparent");
            x.connectedToUpstream(new UpstreamConnection(B, true, Duration.ZERO,
                    new InetSocketAddress("127.0.0.1", 50001), new InetSocketAddress("10.0.0.2", 8081)));
            x.backendResponds(200);
            x.responseFilter();
            x.logging();

            SpanData server = t.onlyServer();
            List<SpanData> clients = t.spans(SpanKind.CLIENT);
            assertEquals(2, clients.size(), () -> "two attempts, two CLIENT spans: " + t.spans());
            SpanData failed = clients.stream().filter(c -> attr(c, "turnpike.attempt").equals(1L)).findFirst().orElseThrow();
            SpanData served = clients.stream().filter(c -> attr(c, "turnpike.attempt").equals(2L)).findFirst().orElseThrow();
            for (SpanData c : clients) {
                assertEquals(server.getTraceId(), c.getTraceId());
                assertEquals(server.getSpanId(), c.getParentSpanId());
            }
            assertEquals(StatusCode.ERROR, failed.getStatus().getStatusCode());
            assertEquals("connect_refused", attr(failed, "error.type"));
            assertEquals("10.0.0.1", attr(failed, "server.address"));
            assertEquals("10.0.0.2", attr(served, "server.address"));
            assertEquals(1L, attr(served, "http.request.resend_count"));
            assertEquals(200L, attr(served, "http.response.status_code"));
            assertEquals("10.0.0.2", attr(served, "network.peer.address"));
            assertEquals(true, attr(served, "turnpike.upstream.connection_reused"));
            assertEquals(StatusCode.UNSET, served.getStatus().getStatusCode());
            assertTraceparent(failed.getTraceId(), failed.getSpanId(), true, first);
            assertTraceparent(served.getTraceId(), served.getSpanId(), true, second);
            assertEquals(2L, attr(server, "turnpike.upstream.attempts"));
            assertEquals(StatusCode.UNSET, server.getStatus().getStatusCode(), "the retry saved the request");
        }
    }

    @Test
    void aResetAfterTheRequestWentOutEndsTheAttemptWithItsKind() {
        try (Traced t = new Traced()) {
            Exchange<RequestTrace> x = t.harness.exchange(FakeSession.get("/").peer(A));
            x.requestFilter();
            x.upstreamRequestFilter();
            x.connectedToUpstream();
            x.errorWhileProxying(ErrorKind.UPSTREAM_TIMEOUT);
            x.failToProxy(ProxyError.of(ErrorKind.UPSTREAM_TIMEOUT, "backend 10.0.0.1:8080 sent nothing for 30000 ms", null));
            x.logging();

            SpanData client = t.spans(SpanKind.CLIENT).get(0);
            assertEquals("upstream_timeout", attr(client, "error.type"));
            SpanData server = t.onlyServer();
            assertEquals(StatusCode.ERROR, server.getStatus().getStatusCode());
            assertEquals("upstream_timeout", attr(server, "error.type"));
            assertEquals("backend 10.0.0.1:8080 sent nothing for 30000 ms", server.getStatus().getDescription());
            assertEquals(504L, attr(server, "http.response.status_code"));
        }
    }

    @Test
    void aBackendsServerErrorFailsBothSpansAndAClientErrorOnlyTheAttempt() {
        try (Traced t = new Traced()) {
            t.harness.run(FakeSession.get("/boom").peer(A), 503);
            t.harness.run(FakeSession.get("/missing").peer(A), 404);

            List<SpanData> spans = t.spans();
            SpanData boomServer = find(spans, SpanKind.SERVER, "/boom");
            assertEquals(StatusCode.ERROR, boomServer.getStatus().getStatusCode());
            assertEquals("503", attr(boomServer, "error.type"));
            SpanData missingServer = find(spans, SpanKind.SERVER, "/missing");
            assertEquals(StatusCode.UNSET, missingServer.getStatus().getStatusCode(), "a 404 is the client's, not the server's");
            for (SpanData c : t.spans(SpanKind.CLIENT)) {
                assertEquals(StatusCode.ERROR, c.getStatus().getStatusCode(), "for the proxy as a client, 4xx and 5xx fail the call");
            }
        }
    }

    @Test
    void aRequestAnsweredBeforeTracingsRequestFilterStillGetsItsServerSpanInLogging() {
        try (Traced t = new Traced()) {
            Exchange<RequestTrace> x = t.harness.exchange(FakeSession.get("/limited")
                    .header("traceparent", traceparent(CLIENT_TRACE, CLIENT_SPAN, true)));
            // A plugin earlier in the chain answered 429: this one's request_filter never ran.
            x.session().answered(Response.status(429).build(), "rate-limit");
            x.logging();

            SpanData server = t.onlyServer();
            assertEquals(CLIENT_TRACE, server.getTraceId());
            assertEquals(429L, attr(server, "http.response.status_code"));
            assertEquals("rate-limit", attr(server, "turnpike.responded_by"));
            assertEquals(0L, attr(server, "turnpike.upstream.attempts"));
            assertTrue(t.spans(SpanKind.CLIENT).isEmpty());
        }
    }

    @Test
    void anUnknownMethodIsRecordedAsOtherAndNamedHttp() {
        try (Traced t = new Traced()) {
            t.harness.run(FakeSession.request("PROPFIND", "/dav").peer(A), 207);
            SpanData server = t.onlyServer();
            assertEquals("HTTP", server.getName());
            assertEquals("_OTHER", attr(server, "http.request.method"));
            assertEquals("PROPFIND", attr(server, "http.request.method_original"));
        }
    }

    @Test
    void aRetryRunsTheFilterOnAFreshHeadSoTheClientsContextNeverReachesTheBackendTwice() {
        try (Traced t = new Traced(Map.of("trust_incoming", false))) {
            Exchange<RequestTrace> x = t.harness.exchange(FakeSession.get("/")
                    .header("traceparent", traceparent(CLIENT_TRACE, CLIENT_SPAN, true))
                    .header("tracestate", "vendor=secret").peer(A));
            x.requestFilter();
            x.upstreamRequestFilter();
            String sent = x.session().upstreamRequest().headers().get("traceparent");
            assertFalse(sent.contains(CLIENT_TRACE), "an untrusted client's trace id does not go upstream: " + sent);
            assertNull(x.session().upstreamRequest().headers().get("tracestate"), "nor its tracestate");
            x.logging();
        }
    }

    @Test
    void hostHeadersAreSplitIntoAddressAndPort() {
        assertEquals("example.com:80", SpanRecorder.hostAndPort("example.com", 80).toString());
        assertEquals("example.com:8080", SpanRecorder.hostAndPort("example.com:8080", 80).toString());
        assertEquals("[::1]:443", SpanRecorder.hostAndPort("[::1]", 443).toString());
        assertEquals("[::1]:9443", SpanRecorder.hostAndPort("[::1]:9443", 443).toString());
        assertEquals("example.com:80", SpanRecorder.hostAndPort("example.com:http", 80).toString());
    }

    static Object attr(SpanData span, String key) {
        return span.getAttributes().asMap().entrySet().stream()
                .filter(e -> e.getKey().getKey().equals(key))
                .map(Map.Entry::getValue)
                .findFirst().orElse(null);
    }

    static SpanData find(List<SpanData> spans, SpanKind kind, String path) {
        return spans.stream()
                .filter(s -> s.getKind() == kind && path.equals(s.getAttributes().get(AttributeKey.stringKey("url.path"))))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " span for " + path + " in " + spans));
    }
}
