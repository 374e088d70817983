package dev.turnpike.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The client's assertions fail when they should, with a message saying what came instead. */
class AssertionsFailTest {

    static final TestBackend backend = TestBackend.start().otherwise(Answer.ok("body text").header("X-One", "1"));

    @RegisterExtension
    static final TurnpikeExtension proxy = TurnpikeExtension.builder()
            .backend("a", backend)
            .yaml("""
                    plugins:
                      chain:
                        - id: testkit-upstream
                          config: { backend: ${backend.a} }
                    """)
            .build();

    @Test
    void responseAssertionsPassOnWhatCameAndFailOnAnythingElse() {
        ResponseAssert r = proxy.client().get("/x").assertStatus(200).assertHeader("X-One", "1")
                .assertNoHeader("X-Two").assertBody("body text").assertBodyContains("text");

        AssertionError status = assertThrows(AssertionError.class, () -> r.assertStatus(404));
        assertTrue(status.getMessage().contains("expected status 404, got 200"), status.getMessage());
        assertThrows(AssertionError.class, () -> r.assertHeader("X-One", "2"));
        assertThrows(AssertionError.class, () -> r.assertHeader("X-Two", "1"));
        assertThrows(AssertionError.class, () -> r.assertNoHeader("X-One"));
        assertThrows(AssertionError.class, () -> r.assertBody("other"));
        assertThrows(AssertionError.class, () -> r.assertBodyContains("nope"));
        assertThrows(AssertionError.class, () -> r.assertBody("empty", String::isEmpty));
    }

    @Test
    void metricAssertionsFailOnAWrongValueOrAMissingSample() {
        String[] labels = {"method", "GET", "status", "200"};
        double before = proxy.client().metrics().valueOrZero("turnpike_requests_total", labels);
        proxy.client().get("/m").assertStatus(200);
        proxy.client().awaitMetric("turnpike_requests_total", before + 1, labels);

        AssertionError wrong = assertThrows(AssertionError.class,
                () -> proxy.client().assertMetric("turnpike_requests_total", before + 5, labels));
        assertTrue(wrong.getMessage().contains("expected " + (before + 5) + ", got " + (before + 1)), wrong.getMessage());
        AssertionError missing = assertThrows(AssertionError.class,
                () -> proxy.client().assertMetric("turnpike_no_such_metric", 0));
        assertTrue(missing.getMessage().contains("no such sample"), missing.getMessage());
    }

    @Test
    void anAccessLogLineThatNeverComesFailsAtTheDeadline() {
        proxy.client().get("/logged").assertStatus(200);
        proxy.accessLog().awaitLine("/logged");

        AssertionError e = assertThrows(AssertionError.class,
                () -> proxy.accessLog().awaitLine("/never-requested", Duration.ofMillis(300)));
        assertTrue(e.getMessage().contains("/never-requested"), e.getMessage());
    }

    @Test
    void aLoadResultWithFailuresFails() {
        assertThrows(AssertionError.class, () -> new LoadGenerator.LoadResult(10, 1, List.of("boom")).assertNoFailures());
        assertThrows(AssertionError.class, () -> new LoadGenerator.LoadResult(0, 0, List.of()).assertNoFailures());
        assertEquals(10, new LoadGenerator.LoadResult(10, 0, List.of()).assertNoFailures().answered());
    }

    @Test
    void theLoadGeneratorCountsWrongAnswersAsFailures() {
        backend.on("/unavailable", Answer.status(503));
        LoadGenerator.LoadResult result;
        try (LoadGenerator load = LoadGenerator.start(proxy.client(), "/unavailable", 2)) {
            Await.until("a few failures under load", () -> load.failed() >= 3);
            result = load.stop();
        }
        assertTrue(result.failures().get(0).contains("503"), result.failures().toString());
        assertThrows(AssertionError.class, result::assertNoFailures);
    }

    @Test
    void metricsTextParsesLabelsAndSpecialValues() {
        MetricsText m = MetricsText.parse("""
                # HELP x help
                # TYPE x counter
                x_total{a="1",b="q\\"uote"} 3.0
                x_total{a="2"} 4.0
                y +Inf
                """);
        assertEquals(3.0, m.value("x_total", "a", "1").orElseThrow());
        assertEquals(3.0, m.value("x_total", "b", "q\"uote").orElseThrow());
        assertEquals(4.0, m.value("x_total", "a", "2").orElseThrow());
        assertEquals(Double.POSITIVE_INFINITY, m.value("y").orElseThrow());
        assertTrue(m.value("x_total", "a", "3").isEmpty());
        assertEquals(0, m.valueOrZero("absent"));
    }

    @Test
    void anUnknownPlaceholderIsRefusedNamingTheKnownOnes() {
        TurnpikeExtension bad = TurnpikeExtension.builder().backend("a", TestBackend.start())
                .yaml("plugins: { chain: [ { id: testkit-upstream, config: { backend: '${backend.b}' } } ] }").build();
        IllegalStateException e = assertThrows(IllegalStateException.class, bad::start);
        bad.close();
        assertTrue(e.getMessage().contains("${backend.b}") && e.getMessage().contains("${backend.a}"), e.getMessage());
    }
}
