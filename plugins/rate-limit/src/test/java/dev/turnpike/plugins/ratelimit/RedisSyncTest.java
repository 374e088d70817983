package dev.turnpike.plugins.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** sync_interval against a real redis-server: local decisions, batched flushes, the documented bounds. */
@Timeout(60)
class RedisSyncTest extends RedisTestBase {

    private static double roundTrips(RedisFleet.Member m) {
        return m.metric(RedisMetrics.LATENCY + "_count", "t");
    }

    @Test
    void mostDecisionsAreLocalAndTheFleetAdmitsAtMostNTimesTheLimit() throws Exception {
        fleet = new RedisFleet(2, RedisFleet.config(List.of("uri", redis.uri(), "timeout", "500ms", "on_error", "deny",
                "sync_interval", "200ms"), "burst", 100, "refill_per_second", 100.0 / 3600));
        fleet.get(0).awaitConnected();
        fleet.get(1).awaitConnected();
        int allowed = 0;
        int local = 0;
        for (int i = 0; i < 300; i++) {
            RedisFleet.Result r = fleet.get(i % 2).decide("203.0.113.50");
            allowed += r.allowed() ? 1 : 0;
            local += r.async() ? 0 : 1;
            if (i < 2) {
                assertTrue(r.allowed(), "a key's first request asks Redis, and Redis allows it: " + fleet.get(i % 2).warnings);
            }
        }
        // The documented bound: between two flushes each proxy spends the shared remainder it was
        // told, so 2 proxies admit at least the limit and at most twice it.
        assertTrue(allowed >= 100 && allowed <= 200, "allowed " + allowed);
        assertTrue(local >= 290, "decided locally: " + local + " of 300");

        // Once the batches are flushed, Redis has the bucket empty: full again only after the
        // whole refill (100 tokens at one per 36 s: its key lives about 3600 s), where the two
        // direct calls alone left it about 72 s.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Long.parseLong(redis.command("PTTL", "tp:{t:203.0.113.50}").substring(1)) < 3_500_000) {
            assertTrue(System.nanoTime() < deadline, "the batches were not flushed: PTTL "
                    + redis.command("PTTL", "tp:{t:203.0.113.50}"));
            Thread.sleep(50);
        }
        Thread.sleep(500); // a flush or two more: each proxy has heard the bucket is empty
        assertTrue(bothRefuse(), "after the flushes both proxies refuse");
        double trips = roundTrips(fleet.get(0)) + roundTrips(fleet.get(1));
        assertTrue(trips < 60, "round trips " + trips + " for 300+ requests: batched, not one per request");
        assertEquals(0, fleet.get(0).metric(RedisMetrics.ERRORS, "t", "error") + fleet.get(1).metric(RedisMetrics.ERRORS, "t", "error"), 0.0);
        System.out.printf("[redis sync] allowed %d of 300 on 2 instances (limit 100), %d decided locally, %.0f round trips%n",
                allowed, local, trips);
    }

    private boolean bothRefuse() throws Exception {
        RedisFleet.Result a = fleet.get(0).decide("203.0.113.50");
        RedisFleet.Result b = fleet.get(1).decide("203.0.113.50");
        return !a.allowed() && !b.allowed();
    }

    @Test
    void aFailedFlushDropsItsCountsAndTheKeyAsksRedisAgain() throws Exception {
        fleet = new RedisFleet(1, RedisFleet.config(List.of("uri", redis.uri(), "timeout", "200ms", "on_error", "allow",
                "sync_interval", "50ms"), "burst", 1000, "refill_per_second", 1));
        RedisFleet.Member m = fleet.get(0).awaitConnected();
        assertTrue(m.decide("192.0.2.20").async(), "the first request asks Redis");
        assertFalse(m.decide("192.0.2.20").async(), "the next ones are local");
        redis.stop();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        RedisFleet.Result r;
        do {
            assertTrue(System.nanoTime() < deadline, "the key never went back to asking Redis");
            Thread.sleep(20);
            r = m.decide("192.0.2.20");
        } while (!r.async());
        assertTrue(r.allowed(), "asked Redis, which is down: on_error: allow");
        assertTrue(m.metric(RedisMetrics.ERRORS, "t", "disconnected") + m.metric(RedisMetrics.ERRORS, "t", "error") >= 1);
    }
}
