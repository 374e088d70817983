package dev.turnpike.plugins.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * store: redis against a real redis-server: shared counts across instances (each standing for a
 * proxy), Redis stopped, restarted, paused, its script cache flushed, and a clean stop.
 */
@Timeout(60)
class RedisStoreTest extends RedisTestBase {

    private RedisFleet fleet(int n, String onError, Object... limiter) {
        fleet = new RedisFleet(n, RedisFleet.config(List.of("uri", redis.uri(), "timeout", "200ms", "on_error", onError),
                limiter));
        return fleet;
    }

    @Test
    void twoInstancesShareOneTokenBucketExactly() throws Exception {
        RedisFleet f = fleet(2, "deny", "burst", 100, "refill_per_second", 100.0 / 60);
        f.get(0).awaitConnected();
        f.get(1).awaitConnected();
        int allowed = 0;
        int rejected = 0;
        for (int i = 0; i < 300; i++) {
            RedisFleet.Result r = f.get(i % 2).decide("203.0.113.7");
            assertTrue(r.async(), "every decision asks Redis");
            if (r.allowed()) {
                allowed++;
            } else {
                assertEquals(429, r.status(), "over the limit is a 429, not an error");
                rejected++;
            }
        }
        // 300 requests in well under the 0.6 s a token takes to come back: exactly the burst passes
        assertEquals(100, allowed);
        assertEquals(200, rejected);
        double rejectedHere = f.get(0).metric(RateLimit.REJECTED_METRIC, "t") + f.get(1).metric(RateLimit.REJECTED_METRIC, "t");
        assertEquals(200, rejectedHere, 0.0);
        assertEquals(":1", redis.command("EXISTS", "tp:{t:203.0.113.7}"), "the key carries its hash tag");
        assertEquals(300, f.get(0).metric(RedisMetrics.LATENCY + "_count", "t") + f.get(1).metric(RedisMetrics.LATENCY + "_count", "t"), 0.0);
        System.out.printf("[redis] round trip: mean %.3f ms over %d calls%n",
                1000 * f.get(0).metric(RedisMetrics.LATENCY + "_sum", "t") / f.get(0).metric(RedisMetrics.LATENCY + "_count", "t"),
                (long) f.get(0).metric(RedisMetrics.LATENCY + "_count", "t"));
    }

    @Test
    void twoInstancesShareOneSlidingWindowExactly() throws Exception {
        RedisFleet f = fleet(2, "deny", "mode", "sliding_window", "max_requests", 7, "window", "1m");
        f.get(0).awaitConnected();
        f.get(1).awaitConnected();
        int allowed = 0;
        RedisFleet.Result last = null;
        for (int i = 0; i < 30; i++) {
            last = f.get(i % 2).decide("198.51.100.1");
            allowed += last.allowed() ? 1 : 0;
        }
        assertEquals(7, allowed);
        assertEquals(429, last.status());
        assertEquals(":7", redis.command("ZCARD", "tp:{t:198.51.100.1}"), "only allowed requests are recorded");
        // retry after: the oldest allowed request leaves the window in at most 60 s
        long retry = Long.parseLong(header(last, "Retry-After"));
        assertTrue(retry >= 59 && retry <= 60, "Retry-After " + retry);
    }

    private static String header(RedisFleet.Result r, String name) {
        return r.outcome().response().headers().stream().filter(h -> h.getKey().equals(name)).findFirst().orElseThrow().getValue();
    }

    @Test
    void aFlushedScriptCacheIsRefilledByEval() throws Exception {
        RedisFleet f = fleet(1, "deny", "burst", 3, "refill_per_second", 0.01);
        f.get(0).awaitConnected();
        assertTrue(f.get(0).decide("192.0.2.1").allowed());
        assertEquals("+OK", redis.command("SCRIPT", "FLUSH"));
        assertTrue(f.get(0).decide("192.0.2.1").allowed(), "NOSCRIPT falls back to EVAL");
        assertTrue(f.get(0).decide("192.0.2.1").allowed());
        assertEquals(429, f.get(0).decide("192.0.2.1").status(), "the count survived the flush");
        assertEquals(0, f.get(0).metric(RedisMetrics.ERRORS, "t", "error"), 0.0);
    }

    @Test
    void redisStoppedWithOnErrorAllowServesAndCountsThenSharedLimitingResumes() throws Exception {
        RedisFleet.Member m = fleet(1, "allow", "burst", 2, "refill_per_second", 0.01).get(0).awaitConnected();
        assertTrue(m.decide("192.0.2.9").allowed());
        redis.stop();
        // Until the client has seen the close, a call may go out on the dead connection and end as
        // a timeout or an error instead: wait for it, so every decision below is 'disconnected'.
        long seen = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (m.plugin.link().connectedNow()) {
            assertTrue(System.nanoTime() < seen, "the client still thinks it is connected 10 s after Redis stopped");
            Thread.sleep(5);
        }
        for (int i = 0; i < 20; i++) {
            // the first few also time the decision against a probe timer (which takes its 200 ms)
            RedisFleet.Result r = m.decide("192.0.2.9", i < 3 ? 200 : 0);
            assertTrue(r.allowed(), "on_error: allow keeps serving: " + r.outcome());
            if (i < 3) {
                assertWithinTimeout(r, 200);
            }
        }
        double without = fallbacks(m, "allow");
        assertEquals(20, without, 0.0, "every decision without Redis is counted");
        assertTrue(m.warnings.stream().anyMatch(w -> w.contains("allowing requests without the shared limit")), m.warnings.toString());
        assertTrue(m.warnings.size() <= 2, "logged throttled (a line a second), not once per request: " + m.warnings);
        assertEquals(20, m.metric(RedisMetrics.WITHOUT_REDIS, "t", "disconnected", "allow"), 0.0, "a dropped connection is 'disconnected'");

        redis.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        int status;
        do {
            assertTrue(System.nanoTime() < deadline, "shared limiting did not resume after Redis came back");
            Thread.sleep(20);
            status = m.decide("192.0.2.9").status();
        } while (status != 429);
        assertEquals(":1", redis.command("EXISTS", "tp:{t:192.0.2.9}"), "counted in the restarted Redis");
    }

    @Test
    void redisStoppedWithOnErrorDenyAnswers503() throws Exception {
        RedisFleet.Member m = fleet(1, "deny", "burst", 5, "refill_per_second", 1).get(0).awaitConnected();
        redis.stop();
        RedisFleet.Result r = m.decide("192.0.2.10", 200);
        assertEquals(503, r.status());
        assertEquals("1", header(r, "Retry-After"));
        assertWithinTimeout(r, 200);
        assertEquals(1, fallbacks(m, "deny"), 0.0);
        assertTrue(m.warnings.stream().anyMatch(w -> w.contains("answering 503 (on_error: deny)")), m.warnings.toString());
    }

    @Test
    void aPausedRedisTimesOutEachDecisionAndOnErrorDecides() throws Exception {
        fleet = new RedisFleet(1, RedisFleet.config(List.of("uri", redis.uri(), "timeout", "20ms", "on_error", "deny"),
                "burst", 5, "refill_per_second", 1));
        RedisFleet.Member m = fleet.get(0);
        m.awaitConnected();
        awaitAllowed(m, "192.0.2.11"); // the first call also loads the script, and may take more than 20 ms
        // the warm-up's first call may itself have timed out: count from here
        double timeoutsBefore = m.metric(RedisMetrics.WITHOUT_REDIS, "t", "timeout", "deny");
        double errorsBefore = m.metric(RedisMetrics.ERRORS, "t", "timeout");
        redis.pause();
        try {
            // The first decision by on_error in this JVM also loads and links that path's code
            // (string concatenation bootstraps, the log line): a one-off of some milliseconds, not a
            // wait on Redis. It is checked against the loose bound only; the next five, tightly.
            RedisFleet.Result first = m.decide("192.0.2.11", 20);
            assertEquals(503, first.status());
            assertTrue(first.nanos() < TimeUnit.MILLISECONDS.toNanos(1000), "first decision " + first.nanos() / 1000 + " us");
            for (int i = 0; i < 5; i++) {
                RedisFleet.Result r = m.decide("192.0.2.11", 20);
                assertEquals(503, r.status());
                assertWithinTimeout(r, 20);
            }
            assertEquals(6, m.metric(RedisMetrics.WITHOUT_REDIS, "t", "timeout", "deny") - timeoutsBefore, 0.0);
            assertEquals(6, m.metric(RedisMetrics.ERRORS, "t", "timeout") - errorsBefore, 0.0);
        } finally {
            redis.resume();
        }
        awaitAllowed(m, "192.0.2.11");
    }

    /** Waits (with a deadline) for a request of {@code ip} that Redis allows. */
    private static void awaitAllowed(RedisFleet.Member m, String ip) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!m.decide(ip).allowed()) {
            assertTrue(System.nanoTime() < deadline, "no request of " + ip + " allowed within 10 s: " + m.warnings);
            Thread.sleep(10);
        }
    }

    /**
     * The decision came within {@code timeoutMillis} + 5 ms of the call, as the issue asks, measured
     * by the plugin's own stage (call to completion on the loop), not through sockets. The bound
     * also allows what the loop itself was late: a probe timer of the same delay, scheduled on the
     * same loop at the same moment ({@link RedisFleet.Member#decide(String, long)}), shows how late
     * any timer fired then (a loop thread descheduled on 2 shared cores during a parallel build
     * misses by tens of ms), which no plugin can beat. What this catches is a decision that waits
     * for Redis past its timeout: that would take Lettuce's 5 s deadline, or forever.
     */
    static void assertWithinTimeout(RedisFleet.Result r, long timeoutMillis) {
        long bound = TimeUnit.MILLISECONDS.toNanos(timeoutMillis + 5) + r.probeLateNanos();
        assertTrue(r.nanos() <= bound, "decision took " + r.nanos() / 1000 + " us, more than " + timeoutMillis
                + " ms + 5 ms + the loop's own lateness " + r.probeLateNanos() / 1000 + " us");
    }

    private static double fallbacks(RedisFleet.Member m, String decision) {
        double n = 0;
        for (RedisMetrics.Reason reason : RedisMetrics.Reason.values()) {
            n += m.metric(RedisMetrics.WITHOUT_REDIS, "t", reason.label, decision);
        }
        return n;
    }

    @Test
    void startsWhileRedisIsDownAndConnectsWhenItComesUp() throws Exception {
        redis.stop();
        RedisFleet f = fleet(1, "deny", "burst", 1, "refill_per_second", 0.01);
        RedisFleet.Member m = f.get(0);
        assertEquals(503, m.decide("192.0.2.12").status());
        assertEquals(1, m.metric(RedisMetrics.WITHOUT_REDIS, "t", "disconnected", "deny"), 0.0);
        redis.start();
        m.awaitConnected();
        assertTrue(m.decide("192.0.2.12").allowed());
        assertEquals(429, m.decide("192.0.2.12").status());
    }

    @Test
    void stopEndsEveryThreadTheClientMade() throws Exception {
        RedisFleet.Member m = fleet(1, "deny", "burst", 10, "refill_per_second", 1).get(0).awaitConnected();
        assertTrue(m.decide("192.0.2.13").allowed());
        List<Thread> threads = m.plugin.link().threads();
        assertTrue(threads.size() >= 2, "an I/O thread and a worker at least: " + threads);
        m.plugin.stop();
        for (Thread t : threads) {
            assertTrue(!t.isAlive(), t.getName() + " still alive after stop()");
        }
        assertEquals(List.of(), Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("turnpike-rate-limit-redis")).toList());
        // Redis learns of the closed connection on its own loop, maybe after our next command: ask until it has.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long clients;
        while ((clients = redis.command("CLIENT", "LIST").lines().filter(l -> l.contains("cmd=")).count()) != 1
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(1, clients, "only this test's own CLIENT LIST connection is left: " + redis.command("CLIENT", "LIST"));
    }
}
