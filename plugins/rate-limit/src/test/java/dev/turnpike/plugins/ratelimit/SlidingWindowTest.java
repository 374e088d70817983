package dev.turnpike.plugins.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testkit.phases.FakeSession;
import org.junit.jupiter.api.Test;

/** The sliding window: an exact log of the allowed requests, with time driven by hand. */
class SlidingWindowTest {

    private static RateLimit tenPerMinute(Limiters l) {
        return l.start("mode", "sliding_window", "max_requests", 10, "window", "60s");
    }

    @Test
    void theEleventhWithinTheWindowIsRejectedAndPassesOnceTheOldestLeaves() {
        Limiters l = new Limiters();
        RateLimit r = tenPerMinute(l);
        FakeSession s = FakeSession.from("203.0.113.7");
        for (int i = 0; i < 10; i++) { // t = 0, 1, ..., 9 s
            assertTrue(Hit.of(r, s).allowed(), "request " + (i + 1));
            l.clock.advanceMillis(1000);
        }
        Hit eleventh = Hit.of(r, s); // t = 10 s
        assertFalse(eleventh.allowed());
        assertEquals(429, eleventh.response().status());
        assertEquals("50", eleventh.header("Retry-After"), "the request of t=0 leaves the window at t=60");
        assertEquals("10", eleventh.header("RateLimit-Limit"));
        assertEquals("0", eleventh.header("RateLimit-Remaining"));
        assertEquals("59", eleventh.header("RateLimit-Reset"), "the newest (t=9) leaves at t=69");

        l.clock.advanceMillis(49_999); // t = 59.999 s
        assertFalse(Hit.of(r, s).allowed());
        l.clock.advanceMillis(1); // t = 60 s: the first request is a full window old
        assertTrue(Hit.of(r, s).allowed());
        l.clock.advanceMillis(500); // t = 60.5 s: the next to leave is t=1's, at 61
        assertFalse(Hit.of(r, s).allowed());
        l.clock.advanceMillis(500);
        assertTrue(Hit.of(r, s).allowed());
    }

    @Test
    void countsExactlyWhereAWeightedEstimateWouldNot() {
        // Ten requests at the very end of one minute, then a look just after the minute turns: a
        // two-counter estimate weights the previous minute by what is left of it (here 59/60) and
        // lets a request through; the exact log still holds all ten within the last 60 s.
        Limiters l = new Limiters();
        RateLimit r = tenPerMinute(l);
        FakeSession s = FakeSession.from("203.0.113.7");
        l.clock.advanceMillis(59_000);
        assertEquals(10, Hit.passes(r, s, 10));
        l.clock.advanceMillis(2_000); // t = 61 s
        assertFalse(Hit.of(r, s).allowed());
        l.clock.advanceMillis(57_999); // t = 118.999 s
        assertFalse(Hit.of(r, s).allowed());
        l.clock.advanceMillis(1); // t = 119 s: all ten are a window old
        assertEquals(10, Hit.passes(r, s, 11));
    }

    @Test
    void rejectedRequestsDoNotCount() {
        Limiters l = new Limiters();
        RateLimit r = tenPerMinute(l);
        FakeSession s = FakeSession.from("203.0.113.7");
        assertEquals(10, Hit.passes(r, s, 10));
        for (int i = 0; i < 59; i++) {
            l.clock.advanceMillis(1000);
            assertEquals(0, Hit.passes(r, s, 5));
        }
        l.clock.advanceMillis(1000);
        assertEquals(10, Hit.passes(r, s, 20), "60 s after the ten, the hammering in between cost nothing");
    }

    @Test
    void remainingCountsDown() {
        Limiters l = new Limiters();
        RateLimit r = l.start("mode", "sliding_window", "max_requests", 3, "window", "10s", "headers", true);
        FakeSession s = FakeSession.from("203.0.113.7");
        for (int left = 2; left >= 0; left--) {
            Hit h = Hit.of(r, s);
            assertEquals(left, h.context().remaining());
            assertEquals(10, h.context().resetSeconds());
        }
    }

    @Test
    void aKeyHoldsOnlyAsManyTimesAsItUsed() {
        Limiters l = new Limiters();
        RateLimit r = l.start("mode", "sliding_window", "max_requests", 1000, "window", "1h");
        FakeSession s = FakeSession.from("203.0.113.7");
        Hit.of(r, s);
        assertEquals(4, slots(r, "203.0.113.7"), "a ring of 4 to start with");
        assertEquals(999, Hit.passes(r, s, 1500));
        assertEquals(1000, slots(r, "203.0.113.7"), "grown to max_requests, no further");
    }

    @Test
    void subSecondWindows() {
        Limiters l = new Limiters();
        RateLimit r = l.start("mode", "sliding_window", "max_requests", 2, "window", "250ms");
        FakeSession s = FakeSession.from("203.0.113.7");
        assertEquals(2, Hit.passes(r, s, 3));
        Hit h = Hit.of(r, s);
        assertEquals("1", h.header("Retry-After"), "Retry-After is whole seconds, at least 1");
        l.clock.advanceMillis(250);
        assertEquals(2, Hit.passes(r, s, 3));
    }

    private static int slots(RateLimit r, String key) {
        @SuppressWarnings("unchecked")
        KeyTable<SlidingWindow.Log> table = (KeyTable<SlidingWindow.Log>) r.table();
        KeyTable.Segment<SlidingWindow.Log> seg = table.segmentFor(key);
        synchronized (seg) {
            return seg.get(key).times.length;
        }
    }
}
