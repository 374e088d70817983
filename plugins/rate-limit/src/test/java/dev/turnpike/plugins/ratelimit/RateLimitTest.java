package dev.turnpike.plugins.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Outcome;
import dev.turnpike.testkit.phases.FakeMetrics;
import dev.turnpike.testkit.phases.FakePluginContext;
import dev.turnpike.testkit.phases.FakeResponseHead;
import dev.turnpike.testkit.phases.FakeSession;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The plugin as the runtime drives it: phases, context, headers, metrics, lifecycle. */
class RateLimitTest {

    @Test
    void withoutHeadersTheAllowedResponseIsLeftAlone() {
        RateLimit r = new Limiters().start("burst", 2, "refill_per_second", 1);
        FakeSession s = FakeSession.from("203.0.113.7");
        assertNull(r.newContext(s), "no per-request context unless headers: true");
        assertEquals(Outcome.Kind.PROCEED, r.requestFilter(s, null).kind());
        FakeResponseHead backend = s.upstreamResponse(200);
        backend.headers().add("Server", "backend");
        assertEquals(Outcome.Kind.PROCEED, r.responseFilter(s, null).kind());
        assertEquals(1, backend.headers().size());
    }

    @Test
    void withHeadersTheAllowedResponseCarriesTheNumbers() {
        RateLimit r = new Limiters().start("burst", 10, "refill_per_second", 0.5, "headers", true);
        FakeSession s = FakeSession.from("203.0.113.7");
        Hit.of(r, s);
        Hit h = Hit.of(r, s);
        FakeResponseHead backend = s.upstreamResponse(200);
        backend.headers().add("RateLimit-Limit", "999"); // the backend's own is replaced
        assertEquals(Outcome.Kind.PROCEED, r.responseFilter(s, h.context()).kind());
        assertEquals(List.of("10"), backend.headers().getAll("RateLimit-Limit"));
        assertEquals("8", backend.headers().get("RateLimit-Remaining"));
        assertEquals("4", backend.headers().get("RateLimit-Reset"));
        assertEquals("10", backend.headers().get("X-RateLimit-Limit"));
        assertEquals("8", backend.headers().get("X-RateLimit-Remaining"));
        assertEquals("4", backend.headers().get("X-RateLimit-Reset"));
        assertFalse(backend.headers().contains("Retry-After"));
    }

    @Test
    void theRejectionIsAComplete429() {
        RateLimit r = new Limiters().start("burst", 1, "refill_per_second", 0.25);
        FakeSession s = FakeSession.from("203.0.113.7");
        Hit.of(r, s);
        Hit h = Hit.of(r, s);
        assertEquals(429, h.response().status());
        List<String> names = h.response().headers().stream().map(Map.Entry::getKey).toList();
        assertEquals(List.of("Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
                "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Content-Type"), names);
        assertEquals("4", h.header("Retry-After"));
        assertEquals("text/plain; charset=utf-8", h.header("Content-Type"));
    }

    @Test
    void rejectionsAreCountedUnderABoundedLabelRegisteredAtStart() {
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", 1, "refill_per_second", 1);
        assertEquals(List.of("limiter"), l.metrics.registered(RateLimit.REJECTED_METRIC).labelNames());
        assertEquals(List.of("limiter"), l.metrics.registered(RateLimit.KEYS_METRIC).labelNames());
        assertEquals(List.of("limiter", "reason"), l.metrics.registered(RateLimit.EVICTED_METRIC).labelNames());
        for (int i = 0; i < 50; i++) {
            Hit.of(r, FakeSession.from("10.0.0." + i));
            Hit.of(r, FakeSession.from("10.0.0." + i));
        }
        assertEquals(50, l.metrics.value(RateLimit.REJECTED_METRIC, "plugins.chain[0]"), 0.0);
    }

    @Test
    void beforeStartEveryRequestProceeds() {
        RateLimit r = new RateLimit(new FakeClock(), line -> { }, false);
        FakeSession s = FakeSession.from("203.0.113.7");
        assertNull(r.newContext(s));
        assertEquals(Outcome.Kind.PROCEED, r.requestFilter(s, null).kind());
    }

    @Test
    @Timeout(30)
    void theSweeperThreadSweepsAndEndsWithStop() throws Exception {
        FakeClock clock = new FakeClock();
        RateLimit r = new RateLimit(clock, line -> { }, true);
        FakeMetrics metrics = new FakeMetrics();
        r.start(Limiters.context(FakePluginContext.mapping("burst", 1, "refill_per_second", 1, "name", "sweep-test")).metrics(metrics));
        try {
            assertTrue(r.sweeperRunning());
            assertTrue(sweeperThreadAlive("sweep-test"));
            Hit.of(r, FakeSession.from("203.0.113.7"));
            assertEquals(1, r.table().size());
            clock.advance(Duration.ofSeconds(2));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (r.table().size() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(0, r.table().size(), "the timer dropped the idle key");
        } finally {
            r.stop();
        }
        assertFalse(r.sweeperRunning());
        assertFalse(sweeperThreadAlive("sweep-test"), "stop() ended the thread, so the class loader can go");
    }

    @Test
    void theNoArgumentConstructorIsWhatPf4jUses() {
        RateLimit r = new RateLimit();
        r.start(Limiters.context(FakePluginContext.mapping("burst", 1, "refill_per_second", 1, "name", "pf4j-way")));
        try {
            assertTrue(sweeperThreadAlive("pf4j-way"));
            assertTrue(Hit.of(r, FakeSession.from("203.0.113.7")).allowed());
            assertFalse(Hit.of(r, FakeSession.from("203.0.113.7")).allowed());
        } finally {
            r.stop();
        }
        assertFalse(sweeperThreadAlive("pf4j-way"));
    }

    @Test
    void aRefusedConfigLeavesNoThreadBehind() {
        RateLimit r = new RateLimit();
        try {
            r.start(Limiters.context(FakePluginContext.mapping("burst", -1, "refill_per_second", 1, "name", "refused")));
        } catch (RuntimeException expected) {
            // refused, and start() threw before anything was started
        }
        assertFalse(sweeperThreadAlive("refused"));
        assertFalse(r.sweeperRunning());
    }

    @Test
    void aTableThatCouldOutgrowTheHeapIsWarnedAboutAtStart() {
        Limiters quiet = new Limiters();
        quiet.start("burst", 10, "refill_per_second", 1);
        assertEquals(List.of(), quiet.warnings);
        Limiters loud = new Limiters();
        loud.start("mode", "sliding_window", "max_requests", 100_000, "window", "1h", "max_keys", 100_000_000);
        assertEquals(1, loud.warnings.size());
        assertTrue(loud.warnings.get(0).contains("max_keys 100000000 may hold up to about"), loud.warnings.get(0));
    }

    private static boolean sweeperThreadAlive(String name) {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.isAlive() && t.getName().equals("turnpike-rate-limit-sweeper[" + name + "]"));
    }
}
