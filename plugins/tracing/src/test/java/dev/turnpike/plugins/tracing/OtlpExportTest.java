package dev.turnpike.plugins.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Peer;
import dev.turnpike.plugins.tracing.otlp.OtlpReceiver;
import dev.turnpike.plugins.tracing.otlp.ReceivedSpan;
import dev.turnpike.testkit.phases.Exchange;
import dev.turnpike.testkit.phases.FakeSession;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The real OTLP/HTTP exporter (JDK HttpClient sender) against an in-test collector on 127.0.0.1:
 * what arrives decodes to the spans the phases made, with the configured resource and headers; a
 * collector that is down loses spans, counted and reported, and the phases never wait for it.
 */
@Timeout(60)
class OtlpExportTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void spansArriveAtTheCollectorWithTheServiceNameAndHeaders() throws Exception {
        try (OtlpReceiver collector = OtlpReceiver.start();
             Traced t = new Traced(Map.of("endpoint", collector.endpoint(), "service_name", "edge-7",
                     "headers", Map.of("X-Api-Key", "k-123"), "flush_interval", "100ms"), Telemetry.OTLP)) {
            Exchange<RequestTrace> x = t.harness.run(FakeSession.get("/a").peer(Peer.of("10.0.0.1", 8080)), 201);

            List<ReceivedSpan> spans = collector.await(2, s -> true, WAIT);
            ReceivedSpan server = spans.stream().filter(s -> s.kind() == ReceivedSpan.SERVER).findFirst().orElseThrow();
            ReceivedSpan client = spans.stream().filter(s -> s.kind() == ReceivedSpan.CLIENT).findFirst().orElseThrow();
            assertEquals("edge-7", server.serviceName());
            assertEquals("GET", server.name());
            assertTrue(server.isRoot());
            assertEquals(server.traceId(), client.traceId());
            assertEquals(server.spanId(), client.parentSpanId());
            assertEquals("/a", server.attribute("url.path"));
            assertEquals(201L, server.attribute("http.response.status_code"));
            assertEquals(1L, client.attribute("turnpike.attempt"));
            Traced.assertTraceparent(client.traceId(), client.spanId(), true, x.session().upstreamRequest().headers().get("traceparent"));
            assertEquals(List.of("k-123"), collector.requestHeaders().get(0).get("X-api-key"));
            assertTrue(collector.refusals().isEmpty(), collector.refusals().toString());
            t.harness.stop();
            assertEquals(2.0, t.harness.metrics().value(Tracing.EXPORTED_METRIC, "ok"));
        }
    }

    @Test
    void gzipCompressionIsUnderstoodByTheCollector() throws Exception {
        try (OtlpReceiver collector = OtlpReceiver.start();
             Traced t = new Traced(Map.of("endpoint", collector.endpoint(), "compression", "gzip"), Telemetry.OTLP)) {
            t.harness.run(FakeSession.get("/gz").peer(Peer.of("10.0.0.1", 8080)), 200);
            assertTrue(t.plugin.flush(20_000));
            List<ReceivedSpan> spans = collector.await(2, s -> true, WAIT);
            assertEquals("/gz", spans.stream().filter(s -> s.kind() == ReceivedSpan.SERVER).findFirst().orElseThrow()
                    .attribute("url.path"));
            assertEquals(List.of("gzip"), collector.requestHeaders().get(0).get("Content-encoding"));
        }
    }

    @Test
    void withTheCollectorDownSpansAreDroppedCountedAndReportedAndRequestsGoOn() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        try (Traced t = new Traced(Map.of("endpoint", "http://127.0.0.1:" + deadPort + "/v1/traces", "timeout", "1s",
                "flush_interval", "50ms"), Telemetry.OTLP)) {
            for (int i = 0; i < 5; i++) {
                Exchange<RequestTrace> x = t.harness.run(FakeSession.get("/down/" + i).peer(Peer.of("10.0.0.1", 8080)), 200);
                assertTrue(x.logged());
            }
            assertEquals(10.0, t.harness.metrics().value(Tracing.ENDED_METRIC));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (t.harness.metrics().value(Tracing.EXPORTED_METRIC, "failed") < 10 && System.nanoTime() < deadline) {
                t.plugin.flush(2_000);
                Thread.sleep(20);
            }
            assertEquals(10.0, t.harness.metrics().value(Tracing.EXPORTED_METRIC, "failed"));
            assertEquals(0.0, t.harness.metrics().value(Tracing.EXPORTED_METRIC, "ok"));
            assertTrue(t.warnings.stream().anyMatch(w -> w.contains("could not export spans to http://127.0.0.1:" + deadPort)),
                    t.warnings.toString());
        }
    }
}
