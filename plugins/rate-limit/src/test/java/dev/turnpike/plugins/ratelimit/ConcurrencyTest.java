package dev.turnpike.plugins.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testkit.phases.FakeSession;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Exact counts however many threads race, and no lock shared by unrelated keys. */
class ConcurrencyTest {

    private static final int THREADS = 64;

    /** Runs {@code task(thread index)} on 64 threads released at once; waits for all. */
    private static void race(int threads, TaskBody task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int index = t;
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    task.run(index);
                    return null;
                }));
            }
            assertTrue(ready.await(30, TimeUnit.SECONDS));
            go.countDown();
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @FunctionalInterface
    interface TaskBody {
        void run(int thread) throws Exception;
    }

    @RepeatedTest(5)
    @Timeout(60)
    void sixtyFourClientsOnOneKeyGetExactlyTheBurst() throws Exception {
        int burst = 50;
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", burst, "refill_per_second", 0.5); // the clock stands still: no refill
        AtomicInteger passed = new AtomicInteger();
        AtomicInteger rejected = new AtomicInteger();
        race(THREADS, t -> {
            FakeSession s = FakeSession.from("203.0.113.7");
            for (int i = 0; i < 200; i++) {
                if (Hit.of(r, s).allowed()) {
                    passed.incrementAndGet();
                } else {
                    rejected.incrementAndGet();
                }
            }
        });
        assertEquals(burst, passed.get());
        assertEquals(THREADS * 200 - burst, rejected.get());
        assertEquals(rejected.get(), l.metrics.value(RateLimit.REJECTED_METRIC, "plugins.chain[0]"), 0.0);
    }

    @RepeatedTest(3)
    @Timeout(60)
    void slidingWindowIsExactUnderTheSameRace() throws Exception {
        Limiters l = new Limiters();
        RateLimit r = l.start("mode", "sliding_window", "max_requests", 37, "window", "1m");
        AtomicInteger passed = new AtomicInteger();
        race(THREADS, t -> {
            FakeSession s = FakeSession.from("203.0.113.7");
            passed.addAndGet(Hit.passes(r, s, 100));
        });
        assertEquals(37, passed.get());
    }

    @Test
    @Timeout(60)
    void manyKeysAtOnceEachGetExactlyTheirBurst() throws Exception {
        int keys = 16;
        int burst = 7;
        RateLimit r = new Limiters().start("burst", burst, "refill_per_second", 0.5);
        AtomicIntegerArray passed = new AtomicIntegerArray(keys);
        race(THREADS, t -> {
            FakeSession s = FakeSession.get("/");
            for (int i = 0; i < 400; i++) {
                int k = (t + i) % keys;
                s.client("198.51.100." + (k + 1));
                if (Hit.of(r, s).allowed()) {
                    passed.incrementAndGet(k);
                }
            }
        });
        for (int k = 0; k < keys; k++) {
            assertEquals(burst, passed.get(k), "key " + k);
        }
    }

    @Test
    @Timeout(60)
    void exactWhileTimeMovesUnderLoad() throws Exception {
        // 100/s refill. Once 63 threads have drained the burst, one thread moves the clock 10 s in
        // 1 ms steps while they keep hammering the key: exactly one request per 10 ms gets through
        // on top of the burst. (The burst exceeds the 1000 refilled tokens, so none can be lost to
        // a full bucket however the threads are scheduled.)
        int burst = 2000;
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", burst, "refill_per_second", 100);
        AtomicInteger passed = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        race(THREADS, t -> {
            if (t == 0) {
                while (passed.get() < burst) {
                    Thread.onSpinWait();
                }
                for (int ms = 0; ms < 10_000; ms++) {
                    l.clock.advanceMillis(1);
                    if ((ms & 63) == 0) {
                        Thread.yield();
                    }
                }
                Thread.sleep(300); // time for the others to take the last tokens
                stop.set(true);
                return;
            }
            FakeSession s = FakeSession.from("203.0.113.7");
            while (!stop.get()) {
                if (Hit.of(r, s).allowed()) {
                    passed.incrementAndGet();
                }
            }
        });
        assertEquals(burst + 1000, passed.get());
    }

    @Test
    @Timeout(30)
    void aKeyWaitsOnlyForItsOwnSegmentNeverOnAGlobalLock() throws Exception {
        RateLimit r = new Limiters().start("burst", 5, "refill_per_second", 1);
        KeyTable<? extends KeyState> table = r.table();
        assertEquals(KeyTable.MAX_SEGMENTS, table.segmentCount());
        String held = "198.51.100.1";
        String found = null;
        for (int i = 2; i < 255 && found == null; i++) {
            String candidate = "198.51.100." + i;
            if (table.segmentFor(candidate) != table.segmentFor(held)) {
                found = candidate;
            }
        }
        assertNotNull(found);
        String other = found;
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Object lock = table.segmentFor(held);
            Future<Boolean> blocked;
            synchronized (lock) {
                // While this thread holds one segment, a request for a key of another one completes...
                Future<Boolean> free = pool.submit(() -> Hit.of(r, FakeSession.from(other)).allowed());
                assertTrue(free.get(10, TimeUnit.SECONDS));
                // ... and one for the held segment waits.
                blocked = pool.submit(() -> Hit.of(r, FakeSession.from(held)).allowed());
                Thread.sleep(200);
                assertFalse(blocked.isDone());
            }
            assertTrue(blocked.get(10, TimeUnit.SECONDS), "released: the waiting request went on");
        } finally {
            pool.shutdownNow();
        }
    }
}
