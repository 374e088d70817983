package dev.turnpike.plugins.tracing;

import static dev.turnpike.plugins.tracing.SpanPerPhaseTest.attr;
import static dev.turnpike.plugins.tracing.Traced.assertTraceparent;
import static dev.turnpike.plugins.tracing.Traced.traceparent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Peer;
import dev.turnpike.testkit.phases.Exchange;
import dev.turnpike.testkit.phases.FakeSession;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * W3C trace context from the client: honoured (the SERVER span continues the client's trace, its
 * sampling decision and its tracestate), ignored when {@code trust_incoming: false} (a new trace,
 * linked to the client's), or ignored because it is not valid.
 */
class ContextPropagationTest {

    private static final Peer PEER = Peer.of("10.0.0.1", 8080);
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN = "00f067aa0ba902b7";

    private static Exchange<RequestTrace> run(Traced t, String... headers) {
        return t.harness.run(FakeSession.get("/").headers(headers).peer(PEER), 200);
    }

    @Test
    void anIncomingTraceparentIsContinuedAndItsTracestateGoesUpstream() {
        try (Traced t = new Traced()) {
            Exchange<RequestTrace> x = run(t, "traceparent", traceparent(TRACE, SPAN, true), "tracestate", "congo=t61rcWkgMzE");

            SpanData server = t.onlyServer();
            assertEquals(TRACE, server.getTraceId());
            assertEquals(SPAN, server.getParentSpanId());
            assertTrue(server.getParentSpanContext().isRemote());
            SpanData client = t.spans(SpanKind.CLIENT).get(0);
            assertTraceparent(TRACE, client.getSpanId(), true, x.session().upstreamRequest().headers().get("traceparent"));
            assertEquals("congo=t61rcWkgMzE", x.session().upstreamRequest().headers().get("tracestate"));
        }
    }

    @Test
    void withTrustIncomingOffTheTraceRestartsLinkedToTheClientsContext() {
        try (Traced t = new Traced(Map.of("trust_incoming", false))) {
            Exchange<RequestTrace> x = run(t, "traceparent", traceparent(TRACE, SPAN, true), "tracestate", "congo=1");

            SpanData server = t.onlyServer();
            assertNotEquals(TRACE, server.getTraceId(), "a new trace");
            assertFalse(server.getParentSpanContext().isValid(), "the SERVER span is a root");
            assertEquals(1, server.getLinks().size());
            LinkData link = server.getLinks().get(0);
            assertEquals(TRACE, link.getSpanContext().getTraceId());
            assertEquals(SPAN, link.getSpanContext().getSpanId());
            assertEquals(true, attr(server, "turnpike.incoming_context_ignored"));
            String sent = x.session().upstreamRequest().headers().get("traceparent");
            assertTrue(sent.startsWith("00-" + server.getTraceId() + "-"), sent);
            assertEquals(null, x.session().upstreamRequest().headers().get("tracestate"));
        }
    }

    @Test
    void anUnsampledParentIsHonouredAndItsDecisionPropagated() {
        try (Traced t = new Traced()) {
            Exchange<RequestTrace> x = run(t, "traceparent", traceparent(TRACE, SPAN, false));
            assertTrue(t.spans().isEmpty(), "the client said not sampled: nothing recorded");
            String sent = x.session().upstreamRequest().headers().get("traceparent");
            assertTrue(sent.startsWith("00-" + TRACE + "-") && !Traced.sampled(sent), sent);
            assertEquals(0.0, t.harness.metrics().value(Tracing.ENDED_METRIC));
        }
    }

    @Test
    void sampleRatioZeroRecordsNoNewTraceButFollowsASampledParent() {
        try (Traced t = new Traced(Map.of("sample_ratio", 0))) {
            Exchange<RequestTrace> fresh = run(t);
            String sent = fresh.session().upstreamRequest().headers().get("traceparent");
            assertFalse(Traced.sampled(sent), "a new, unsampled trace still propagates: " + sent);
            assertTrue(t.spans().isEmpty());

            run(t, "traceparent", traceparent(TRACE, SPAN, true));
            assertEquals(2, t.spans().size(), "parent-based: the sampled parent's trace is recorded");
            assertEquals(TRACE, t.onlyServer().getTraceId());
        }
    }

    @Test
    void anInvalidOrAmbiguousTraceparentStartsANewTrace() {
        try (Traced t = new Traced()) {
            run(t, "traceparent", traceparent("00000000000000000000000000000000", SPAN, true));
            run(t, "traceparent", "00-" + TRACE + "-" + SPAN);
            run(t, "traceparent", traceparent(TRACE, SPAN, true), "traceparent", traceparent(TRACE, "00f067aa0ba902b8", true));
            for (SpanData server : t.spans(SpanKind.SERVER)) {
                assertNotEquals(TRACE, server.getTraceId());
                assertFalse(server.getParentSpanContext().isValid(), server.toString());
                assertTrue(server.getLinks().isEmpty());
            }
            assertEquals(3, t.spans(SpanKind.SERVER).size());
        }
    }
}
