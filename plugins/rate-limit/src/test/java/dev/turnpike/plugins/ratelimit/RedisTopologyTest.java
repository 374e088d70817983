package dev.turnpike.plugins.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The URI forms against real servers: a one-node Redis Cluster, a Sentinel, a TLS-only Redis. */
@Timeout(60)
class RedisTopologyTest extends RedisTestBase {

    /**
     * One instance of a burst-1 limiter on {@code uri} (and the other {@code redisKeys}): its first
     * request passes, the second gets 429, and the key is in {@code store} under its hash tag.
     */
    private void assertLimitsThrough(String uri, RedisServer store, String ip, Object... redisKeys) throws Exception {
        List<Object> keys = new ArrayList<>(List.of("uri", uri, "timeout", "500ms", "on_error", "deny"));
        keys.addAll(List.of(redisKeys));
        fleet = new RedisFleet(1, RedisFleet.config(keys, "burst", 1, "refill_per_second", 0.01));
        RedisFleet.Member m = fleet.get(0).awaitConnected();
        assertTrue(m.decide(ip).allowed(), () -> "warnings: " + m.warnings);
        assertEquals(429, m.decide(ip).status());
        assertEquals(":1", store.command("EXISTS", "tp:{t:" + ip + "}"), "counted in " + uri);
        fleet.close();
        fleet = null;
    }

    @Test
    void aOneNodeClusterIsReachedByTheClusterUri() throws Exception {
        try (RedisServer cluster = RedisServer.start(Files.createDirectories(dir.resolve("cluster")), true)) {
            assertLimitsThrough("redis-cluster://127.0.0.1:" + cluster.port(), cluster, "192.0.2.14");
        }
    }

    @Test
    void aSentinelUriFindsTheMaster() throws Exception {
        try (RedisServer sentinel = RedisServer.startSentinel(Files.createDirectories(dir.resolve("sentinel")), redis)) {
            assertLimitsThrough("redis-sentinel://127.0.0.1:" + sentinel.port() + "#mymaster", redis, "192.0.2.17");
        }
    }

    @Test
    void redissWithItsCaFile() throws Exception {
        try (RedisServer tls = RedisServer.startTls(Files.createDirectories(dir.resolve("tls")))) {
            assertLimitsThrough("rediss://127.0.0.1:" + tls.port(), tls, "192.0.2.15", "ca_file", tls.caFile().toString());
        }
    }

    @Test
    void redissWithoutTheCaIsNotTrustedAndOnErrorDecides() throws Exception {
        try (RedisServer tls = RedisServer.startTls(Files.createDirectories(dir.resolve("tls")))) {
            fleet = new RedisFleet(1, RedisFleet.config(List.of("uri", "rediss://127.0.0.1:" + tls.port(),
                    "timeout", "500ms", "on_error", "deny"), "burst", 1, "refill_per_second", 0.01));
            RedisFleet.Member m = fleet.get(0);
            assertEquals(503, m.decide("192.0.2.16").status(), "a server the JDK does not trust is not used");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (m.warnings.stream().noneMatch(w -> w.contains("cannot connect to Redis"))) {
                assertTrue(System.nanoTime() < deadline, "no warning about the failed connection: " + m.warnings);
                Thread.sleep(10);
            }
        }
    }
}
