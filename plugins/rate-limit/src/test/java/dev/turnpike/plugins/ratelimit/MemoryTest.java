package dev.turnpike.plugins.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testkit.phases.FakeSession;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Bounded memory: max_keys holds under a million distinct keys, idle keys go, LRU when full. */
class MemoryTest {

    private static final int MAX_KEYS = 100_000;
    private static final int MILLION = 1_000_000;

    /** Heap in use after the collector has run (several times, for the measure to settle). */
    private static long usedAfterGc() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(50);
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    /** Requests from distinct addresses 10.x.y.z numbered from..to-1, 1 µs apart. */
    private static void feed(RateLimit r, Limiters l, int from, int to) {
        FakeSession s = FakeSession.get("/");
        for (int i = from; i < to; i++) {
            s.client("10." + ((i >>> 16) & 0xff) + "." + ((i >>> 8) & 0xff) + "." + (i & 0xff));
            Hit.of(r, s);
            l.clock.advanceNanos(1_000);
        }
    }

    @Test
    @Timeout(300)
    void aMillionDistinctClientsStayWithinMaxKeysAndTheHeapStopsGrowing() throws Exception {
        measure("token bucket", "burst", 10, "refill_per_second", 0.5, "max_keys", MAX_KEYS);
    }

    @Test
    @Timeout(300)
    void theSameForTheSlidingWindow() throws Exception {
        measure("sliding window 10/60s", "mode", "sliding_window", "max_requests", 10, "window", "60s", "max_keys", MAX_KEYS);
    }

    private static void measure(String what, Object... config) throws Exception {
        Limiters l = new Limiters();
        RateLimit r = l.start(config);
        long base = usedAfterGc();

        feed(r, l, 0, 2 * MAX_KEYS);
        assertEquals(MAX_KEYS, r.table().size(), "full at max_keys");
        long at200k = usedAfterGc() - base;

        feed(r, l, 2 * MAX_KEYS, MILLION);
        assertEquals(MAX_KEYS, r.table().size(), "still max_keys after a million");
        long at1m = usedAfterGc() - base;

        System.out.printf("%s: retained heap for %,d keys (max_keys) after 200k distinct keys: %,d bytes;"
                        + " after 1M: %,d bytes (%d bytes/key)%n",
                what, MAX_KEYS, at200k, at1m, at1m / MAX_KEYS);
        assertTrue(at1m < MAX_KEYS * 300L, what + ": " + at1m + " bytes retained for " + MAX_KEYS + " keys");
        assertTrue(at1m < at200k + at200k / 4 + (2 << 20),
                what + ": the heap grew from " + at200k + " to " + at1m + " bytes between 200k and 1M keys");

        r.sweep();
        assertEquals(MILLION - MAX_KEYS, l.metrics.value(RateLimit.EVICTED_METRIC, "plugins.chain[0]", "full"), 0.0);
        assertEquals(MAX_KEYS, l.metrics.value(RateLimit.KEYS_METRIC, "plugins.chain[0]"), 0.0);
    }

    @Test
    void idleKeysAreDroppedOnceTheirStateIsNewAgain() {
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", 10, "refill_per_second", 0.5);
        feed(r, l, 0, 10_000); // 10 ms of clock in all
        l.clock.advanceMillis(1_980);
        r.sweep();
        assertEquals(10_000, r.table().size(), "a bucket that gave one token is full 2 s later, not before");
        l.clock.advanceMillis(20);
        r.sweep();
        assertEquals(0, r.table().size());
        assertEquals(10_000, l.metrics.value(RateLimit.EVICTED_METRIC, "plugins.chain[0]", "idle"), 0.0);
        assertEquals(0, l.metrics.value(RateLimit.KEYS_METRIC, "plugins.chain[0]"), 0.0);
    }

    @Test
    void idleWindowsAreDroppedOnceTheirNewestRequestIsAWindowOld() {
        Limiters l = new Limiters();
        RateLimit r = l.start("mode", "sliding_window", "max_requests", 10, "window", "60s");
        feed(r, l, 0, 1_000);
        l.clock.advanceMillis(59_990);
        r.sweep();
        assertEquals(1_000, r.table().size());
        l.clock.advanceMillis(10);
        r.sweep();
        assertEquals(0, r.table().size());
    }

    @Test
    void newKeysCleanUpIdleOnesWithoutTheSweeper() {
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", 10, "refill_per_second", 0.5);
        feed(r, l, 0, 10_000);
        l.clock.advanceMillis(3_000);
        feed(r, l, 10_000, 20_000);
        assertEquals(10_000, r.table().size(), "each insertion dropped the idle keys it found first");
    }

    @Test
    void droppingIdleKeysNeverChangesADecision() {
        for (Object[] config : List.of(
                new Object[] {"burst", 4, "refill_per_second", 2},
                new Object[] {"mode", "sliding_window", "max_requests", 4, "window", "2s"})) {
            FakeClock clock = new FakeClock();
            Limiters sweeping = new Limiters(clock);
            Limiters keeping = new Limiters(clock);
            RateLimit a = sweeping.start(config);
            RateLimit b = keeping.start(config);
            Random random = new Random(42);
            FakeSession s = FakeSession.get("/");
            for (int step = 0; step < 20_000; step++) {
                s.client("198.51.100." + (1 + random.nextInt(5)));
                Decision da = new Decision();
                Decision db = new Decision();
                boolean okA = a.requestFilter(s, da).kind() == dev.turnpike.api.Outcome.Kind.PROCEED;
                boolean okB = b.requestFilter(s, db).kind() == dev.turnpike.api.Outcome.Kind.PROCEED;
                assertEquals(okB, okA, "step " + step);
                assertEquals(db.remaining(), da.remaining(), "step " + step);
                assertEquals(db.resetSeconds(), da.resetSeconds(), "step " + step);
                a.sweep();
                clock.advanceMillis(random.nextInt(4) == 0 ? random.nextInt(3_000) : random.nextInt(200));
            }
            assertTrue(sweeping.metrics.value(RateLimit.EVICTED_METRIC, "plugins.chain[0]", "idle") > 100,
                    "the sweeping one did drop keys along the way");
        }
    }

    @Test
    void whenFullTheLeastRecentlyUsedKeyIsForgottenAndStartsAfresh() {
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", 3, "refill_per_second", 0.001, "max_keys", 1);
        FakeSession a = FakeSession.from("198.51.100.1");
        assertEquals(3, Hit.passes(r, a, 5));
        assertEquals(1, Hit.passes(r, FakeSession.from("198.51.100.2"), 1));
        assertEquals(1, r.table().size());
        assertEquals(3, Hit.passes(r, a, 5), "forgotten to make room: a full bucket again (the documented policy)");
        r.sweep();
        assertEquals(2, l.metrics.value(RateLimit.EVICTED_METRIC, "plugins.chain[0]", "full"), 0.0);
    }

    @Test
    void recentlyUsedKeysSurviveAFloodOfNewOnes() {
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", 3, "refill_per_second", 0.001, "max_keys", 1_000);
        FakeSession regular = FakeSession.from("198.51.100.1");
        assertEquals(3, Hit.passes(r, regular, 3));
        for (int round = 0; round < 100; round++) {
            feed(r, l, round * 100, round * 100 + 100); // 100 new keys, 10,000 in all
            assertFalse(Hit.of(r, regular).allowed(), "round " + round + ": still remembered, still limited");
        }
        assertTrue(r.table().size() <= 1_000);
    }

    @Test
    void theTableNeverHoldsMoreThanMaxKeysWhateverItsSize() {
        for (int max : new int[] {1, 2, 3, 63, 64, 65, 1_000, 4_097}) {
            Limiters l = new Limiters();
            RateLimit r = l.start("burst", 3, "refill_per_second", 1, "max_keys", max);
            feed(r, l, 0, 20_000);
            // 20,000 busy keys fill every segment: the segments' capacities add up to max_keys exactly.
            assertEquals(max, r.table().size(), "max_keys " + max);
        }
    }
}
