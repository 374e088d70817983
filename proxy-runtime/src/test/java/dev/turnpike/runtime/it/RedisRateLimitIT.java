package dev.turnpike.runtime.it;

import static dev.turnpike.runtime.it.TlsItSupport.metric;
import static dev.turnpike.runtime.it.TlsItSupport.metricsPort;
import static dev.turnpike.runtime.it.TlsItSupport.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.TestBackend;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17's "done when", with real processes: two {@code java -jar turnpike.jar} proxies (the
 * bundled rate-limit jar, store: redis) sharing one real redis-server, real HTTP clients, a real
 * backend. Redis is killed and restarted, and paused, under the proxies.
 */
class RedisRateLimitIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private int status(ProxyProcess p, String path, String appid) throws Exception {
        return send(p, path, appid).statusCode();
    }

    private HttpResponse<String> send(ProxyProcess p, String path, String appid) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(p.uri(path)).timeout(TIMEOUT);
        if (appid != null) {
            b.header("appid", appid);
        }
        return client.send(b.build(), BodyHandlers.ofString());
    }

    private static ProxyProcess proxy(Path dir, TestBackend backend, int workers, String config) throws Exception {
        return ProxyProcess.builder(dir)
                .workers(workers)
                .pluginJars(ProxyProcess.rateLimitJar())
                .chainYaml("    - id: rate-limit\n"
                        + "      config: " + config + "\n"
                        + ProxyProcess.chainEntries(List.of("127.0.0.1:" + backend.port())))
                .start();
    }

    /** A limiter keyed by the appid header, on {@code redis}. */
    private static String byAppId(RedisProcess redis, String limit, String onError) {
        return "{ store: redis, name: fleet, key: header, header: appid, missing_key: allow, " + limit
                + ", redis: { uri: '" + redis.uri() + "', timeout: 200ms, on_error: " + onError + " } }";
    }

    /** Waits until {@code p} has asked Redis for a key of its own: its count is in Redis. */
    private void awaitShared(ProxyProcess p, RedisProcess redis, String probeKey) throws Exception {
        waitFor(Duration.ofSeconds(20), () -> {
            try {
                status(p, "/name", probeKey);
                return redis.cli("EXISTS", "tp:{fleet:appid:" + probeKey + "}").equals("1");
            } catch (Exception e) {
                return false;
            }
        }, () -> "the proxy never counted in Redis; log:\n" + ProxyProcess.tail(p.log(), 4000));
    }

    /** {@code total} requests of one key from 8 concurrent clients, spread over {@code proxies}: status → count. */
    private Map<Integer, Integer> spread(List<ProxyProcess> proxies, int total, String appid) throws Exception {
        Map<Integer, Integer> counts = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                running.add(pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < total) {
                        counts.merge(status(proxies.get(i % proxies.size()), "/name", appid), 1, Integer::sum);
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        return counts;
    }

    /** A test body over one Redis, one backend and two proxies that both count in that Redis. */
    private interface FleetTest {
        void run(RedisProcess redis, TestBackend backend, ProxyProcess a, ProxyProcess b) throws Exception;
    }

    /** Runs {@code test} with two proxies limiting by {@code limit}, with {@code on_error} {@code onErrorA} and {@code onErrorB}. */
    private void withTwoProxies(String limit, String onErrorA, String onErrorB, FleetTest test) throws Exception {
        try (RedisProcess redis = RedisProcess.started(dir.resolve("redis"));
             TestBackend backend = new TestBackend("b")) {
            backend.start();
            try (ProxyProcess a = proxy(dir.resolve("a"), backend, 2, byAppId(redis, limit, onErrorA));
                 ProxyProcess b = proxy(dir.resolve("b"), backend, 2, byAppId(redis, limit, onErrorB))) {
                awaitShared(a, redis, "warm-a");
                awaitShared(b, redis, "warm-b");
                test.run(redis, backend, a, b);
            }
        }
    }

    private static long redisMicros(RedisProcess redis) throws Exception {
        String[] t = redis.cli("TIME").split("\\s+");
        return Long.parseLong(t[0]) * 1_000_000 + Long.parseLong(t[1]);
    }

    @Test
    @Timeout(120)
    void twoProxiesShareOneTokenBucketOf100PerMinute() throws Exception {
        withTwoProxies("burst: 100, refill_per_second: 1.6666666667", "deny", "deny", (redis, backend, a, b) -> {
            int servedBefore = backend.requestsServed();
            long t0 = redisMicros(redis);
            Map<Integer, Integer> counts = spread(List.of(a, b), 300, "shared");
            long elapsedMicros = redisMicros(redis) - t0;
            // 100 per minute: one token back every 600 ms. Within the run's own duration (on
            // Redis's clock) that many more may pass; a run under 600 ms allows exactly 100.
            long refilled = elapsedMicros / 600_000;
            int allowed = counts.getOrDefault(200, 0);
            System.out.printf("[redis it] token bucket 100/min over 2 proxies: %s in %d ms (%d tokens refilled meanwhile)%n",
                    counts, elapsedMicros / 1000, refilled);
            assertTrue(allowed >= 100 && allowed <= 100 + refilled, "allowed " + allowed + " of 300: " + counts);
            assertEquals(300, allowed + counts.getOrDefault(429, 0), "only 200 and 429: " + counts);
            assertEquals(allowed, backend.requestsServed() - servedBefore, "the backend never saw a rejected request");
            int ma = metricsPort(a);
            double trips = metric(ma, "turnpike_ratelimit_redis_seconds_count{limiter=\"fleet\"}");
            double sum = metric(ma, "turnpike_ratelimit_redis_seconds_sum{limiter=\"fleet\"}");
            System.out.printf("[redis it] proxy a: %.0f Redis round trips, mean %.3f ms (from its latency metric)%n",
                    trips, 1000 * sum / trips);
            assertTrue(trips >= 150, "every decision of proxy a asked Redis: " + trips);
        });
    }

    @Test
    @Timeout(120)
    void twoProxiesShareOneSlidingWindowOf100PerMinuteExactly() throws Exception {
        withTwoProxies("mode: sliding_window, max_requests: 100, window: 1m", "deny", "deny", (redis, backend, a, b) -> {
            Map<Integer, Integer> counts = spread(List.of(a, b), 300, "shared");
            assertEquals(Map.of(200, 100, 429, 200), counts);
            assertEquals("100", redis.cli("ZCARD", "tp:{fleet:appid:shared}"));
        });
    }

    @Test
    @Timeout(120)
    void redisKilledMidTestThenRestarted() throws Exception {
        withTwoProxies("burst: 5, refill_per_second: 0.001", "allow", "deny", (redis, backend, allow, deny) -> {
            int mAllow = metricsPort(allow);
            int mDeny = metricsPort(deny);

            redis.kill();
            for (int i = 0; i < 10; i++) {
                assertEquals(200, status(allow, "/name", "down"), "on_error: allow keeps serving");
                HttpResponse<String> r = send(deny, "/name", "down");
                assertEquals(503, r.statusCode(), "on_error: deny answers 503 (documented)");
                assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
            }
            assertEquals(10, fallbacks(mAllow, "allow"), 0.0, "each decision without Redis is counted");
            assertEquals(10, fallbacks(mDeny, "deny"), 0.0);
            assertTrue(allow.log().contains("allowing requests without the shared limit"), allow.log());
            assertTrue(deny.log().contains("answering 503 (on_error: deny)"), deny.log());

            redis.start();
            // the proxies reconnect by themselves (no restart): each counts in Redis again
            awaitShared(allow, redis, "back-allow");
            awaitShared(deny, redis, "back-deny");
            Map<Integer, Integer> counts = spread(List.of(allow, deny), 20, "after");
            assertEquals(Map.of(200, 5, 429, 15), counts, "shared limiting resumed");
            allow.assertAlive();
            deny.assertAlive();
        });
    }

    private static double fallbacks(int metricsPort, String decision) {
        String text = TlsItSupport.scrape(metricsPort);
        double n = 0;
        for (String reason : List.of("timeout", "error", "disconnected")) {
            n += metric(text, "turnpike_ratelimit_redis_fallback_total{limiter=\"fleet\",reason=\"" + reason
                    + "\",decision=\"" + decision + "\"}");
        }
        return n;
    }

    /**
     * A paused Redis (SIGSTOP) under one proxy with one event loop: the limited requests each wait
     * their 20 ms timeout, and requests the limiter does not apply to, on the same loop, keep their
     * latency: p99 against a baseline taken in the same run with Redis healthy, within a generous
     * factor. A loop that blocked on Redis would hold them for Lettuce's 5 s deadline.
     */
    @Test
    @Timeout(180)
    void aPausedRedisBlocksNoEventLoop() throws Exception {
        try (RedisProcess redis = RedisProcess.started(dir.resolve("redis"));
             TestBackend backend = new TestBackend("b")) {
            backend.start();
            String config = "{ store: redis, name: fleet, key: ip_path, path_prefixes: [/limited],"
                    + " burst: 1000000000, refill_per_second: 1000000,"
                    + " redis: { uri: '" + redis.uri() + "', timeout: 20ms, on_error: allow } }";
            try (ProxyProcess p = proxy(dir.resolve("p"), backend, 1, config)) {
                int mp = metricsPort(p);
                waitFor(Duration.ofSeconds(20), () -> {
                    try {
                        status(p, "/limited", null);
                        return metric(mp, "turnpike_ratelimit_redis_seconds_count{limiter=\"fleet\"}") >= 5;
                    } catch (Exception e) {
                        return false;
                    }
                }, () -> "Redis never answered; log:\n" + p.log());
                AtomicBoolean running = new AtomicBoolean(true);
                AtomicInteger limitedDone = new AtomicInteger();
                List<Thread> background = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    Thread th = new Thread(() -> {
                        while (running.get()) {
                            try {
                                status(p, "/limited", null);
                                limitedDone.incrementAndGet();
                            } catch (Exception e) {
                                return;
                            }
                        }
                    });
                    th.setDaemon(true);
                    th.start();
                    background.add(th);
                }
                try {
                    for (int i = 0; i < 100; i++) {
                        status(p, "/other", null); // warm-up
                    }
                    long baseline = p99(latencies(p, 300));
                    redis.pause();
                    long paused;
                    int doneBefore = limitedDone.get();
                    try {
                        paused = p99(latencies(p, 300));
                    } finally {
                        redis.resume();
                    }
                    double timeouts = metric(mp, "turnpike_ratelimit_redis_fallback_total{limiter=\"fleet\",reason=\"timeout\",decision=\"allow\"}");
                    System.out.printf("[redis it] /other p99: %.2f ms with Redis healthy, %.2f ms with it paused"
                                    + " (%d limited requests meanwhile, %.0f decided by on_error after the timeout)%n",
                            baseline / 1e6, paused / 1e6, limitedDone.get() - doneBefore, timeouts);
                    assertTrue(timeouts > 0, "the limited requests did hit the paused Redis");
                    long bound = Math.max(10 * baseline, baseline + TimeUnit.MILLISECONDS.toNanos(100));
                    assertTrue(paused <= bound, "p99 of unlimited requests " + paused / 1e6 + " ms with Redis paused, over "
                            + bound / 1e6 + " ms (baseline " + baseline / 1e6 + " ms)");
                } finally {
                    running.set(false);
                    for (Thread th : background) {
                        th.join(10_000);
                    }
                }
                p.assertAlive();
            }
        }
    }

    private List<Long> latencies(ProxyProcess p, int n) throws Exception {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            assertEquals(200, status(p, "/other", null));
            out.add(System.nanoTime() - t0);
        }
        return out;
    }

    private static long p99(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1);
    }
}
