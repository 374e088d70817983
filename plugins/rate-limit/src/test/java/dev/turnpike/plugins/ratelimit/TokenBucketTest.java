package dev.turnpike.plugins.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testkit.phases.FakeSession;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Token bucket arithmetic, with time driven by hand. */
class TokenBucketTest {

    @Test
    void burstTenAtHalfPerSecondPassesTenRejectsFiveAndOneMoreAfterTwoSeconds() {
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", 10, "refill_per_second", 0.5);
        FakeSession s = FakeSession.from("203.0.113.7");

        List<Boolean> first15 = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            first15.add(Hit.of(r, s).allowed());
        }
        assertEquals(List.of(true, true, true, true, true, true, true, true, true, true, false, false, false, false, false),
                first15);

        l.clock.advanceMillis(1999);
        assertFalse(Hit.of(r, s).allowed(), "1.999 s: the token is not there yet");
        l.clock.advanceMillis(1);
        assertTrue(Hit.of(r, s).allowed(), "2 s: exactly one token has come back");
        assertFalse(Hit.of(r, s).allowed(), "and only one");
    }

    @Test
    void theRejectionCarriesRetryAfterAndBothHeaderFamilies() {
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", 10, "refill_per_second", 0.5);
        FakeSession s = FakeSession.from("203.0.113.7");
        assertEquals(10, Hit.passes(r, s, 10));

        Hit h = Hit.of(r, s);
        assertEquals(429, h.response().status());
        assertEquals("2", h.header("Retry-After"), "the next token is 2 s away");
        assertEquals("10", h.header("RateLimit-Limit"));
        assertEquals("0", h.header("RateLimit-Remaining"));
        assertEquals("20", h.header("RateLimit-Reset"), "the bucket is full again in 10 × 2 s");
        assertEquals("10", h.header("X-RateLimit-Limit"));
        assertEquals("0", h.header("X-RateLimit-Remaining"));
        assertEquals("20", h.header("X-RateLimit-Reset"));
        assertEquals("Too Many Requests\n", new String(h.response().body(), java.nio.charset.StandardCharsets.UTF_8));

        l.clock.advanceMillis(500);
        Hit later = Hit.of(r, s);
        assertEquals("2", later.header("Retry-After"), "1.5 s, rounded up");
        assertEquals("20", later.header("RateLimit-Reset"), "19.5 s, rounded up");
    }

    @Test
    void remainingCountsDownAndResetIsTheTimeUntilFull() {
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", 10, "refill_per_second", 0.5, "headers", true);
        FakeSession s = FakeSession.from("203.0.113.7");
        for (int i = 1; i <= 10; i++) {
            Hit h = Hit.of(r, s);
            assertTrue(h.allowed());
            assertEquals(10 - i, h.context().remaining());
            assertEquals(2L * i, h.context().resetSeconds());
        }
    }

    @Test
    void refillIsExactOverALongRunWithAFractionalInterval() {
        // 3 per second: an interval of 333,333,333 ns. Hammered every millisecond for 1000 s, the
        // bucket lets through its burst plus exactly one request per interval: no drift.
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", 5, "refill_per_second", 3);
        FakeSession s = FakeSession.from("203.0.113.7");
        int passed = 0;
        for (int ms = 0; ms <= 1_000_000; ms++) {
            if (Hit.of(r, s).allowed()) {
                passed++;
            }
            l.clock.advanceMillis(1);
        }
        // After the burst of 5 at t=0, the k-th refilled token is due at k × 333,333,333 ns.
        long due = 1_000_000_000_000L / 333_333_333L;
        assertEquals(5 + due, passed);
    }

    @Test
    void aSlowRefillSpacesRequestsEvenly() {
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", 1, "refill_per_second", 0.1);
        FakeSession s = FakeSession.from("203.0.113.7");
        assertTrue(Hit.of(r, s).allowed());
        for (int i = 0; i < 5; i++) {
            l.clock.advanceMillis(9_999);
            assertFalse(Hit.of(r, s).allowed());
            l.clock.advanceMillis(1);
            assertTrue(Hit.of(r, s).allowed(), "every 10 s exactly");
        }
    }

    @Test
    void anIdleBucketRefillsNoFurtherThanItsBurst() {
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", 3, "refill_per_second", 1);
        FakeSession s = FakeSession.from("203.0.113.7");
        assertEquals(3, Hit.passes(r, s, 5));
        l.clock.advance(Duration.ofHours(1));
        assertEquals(3, Hit.passes(r, s, 10), "an hour idle buys the burst, not 3600 tokens");
    }

    @Test
    void worksAcrossTheWrapOfNanoTime() {
        // System.nanoTime may be anywhere, and may wrap: only differences count.
        Limiters l = new Limiters(new FakeClock(Long.MAX_VALUE - 500_000_000L));
        RateLimit r = l.start("burst", 2, "refill_per_second", 1);
        FakeSession s = FakeSession.from("203.0.113.7");
        assertEquals(2, Hit.passes(r, s, 3));
        l.clock.advanceMillis(1000); // the clock wraps to a negative value here
        assertEquals(1, Hit.passes(r, s, 3));
        l.clock.advanceMillis(2000);
        r.sweep();
        assertEquals(0, r.table().size(), "full again after the wrap, so idle and dropped");
        assertEquals(2, Hit.passes(r, s, 3));
    }
}
