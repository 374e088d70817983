package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.TestBackend;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled rate-limit plugin in the real proxy: {@code java -jar turnpike.jar} with the chain
 * {@code [rate-limit, load-balancer]}, a real backend and real HTTP clients over loopback. Every test
 * also checks that the backend never saw a rejected request.
 */
class RateLimitIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private HttpResponse<String> get(ProxyProcess proxy, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(proxy.uri(path)).timeout(TIMEOUT);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), BodyHandlers.ofString());
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    /** Statuses of {@code n} sequential requests. */
    private List<Integer> statuses(ProxyProcess proxy, int n, String... headers) throws Exception {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(get(proxy, "/name", headers).statusCode());
        }
        return out;
    }

    private static List<Integer> repeat(int status, int n) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(status);
        }
        return out;
    }

    private static List<Integer> concat(List<Integer> a, List<Integer> b) {
        List<Integer> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    @Test
    @Timeout(60)
    void burstTenAtHalfPerSecondPassesTenThenFive429sAndOneMoreTwoSecondsLater() throws Exception {
        try (TestBackend backend = new TestBackend("solo")) {
            backend.start();
            try (ProxyProcess proxy = start(backend, 1,
                    "{ burst: 10, refill_per_second: 0.5, headers: true }")) {
                List<HttpResponse<String>> responses = new ArrayList<>();
                for (int i = 0; i < 15; i++) {
                    responses.add(get(proxy, "/name"));
                }
                List<Integer> statuses = responses.stream().map(HttpResponse::statusCode).collect(Collectors.toList());
                assertEquals(concat(repeat(200, 10), repeat(429, 5)), statuses, () -> "log:\n" + proxy.log());

                for (int i = 0; i < 10; i++) {
                    HttpResponse<String> ok = responses.get(i);
                    assertEquals("solo", ok.body());
                    assertEquals("10", header(ok, "RateLimit-Limit"), "headers: true puts them on allowed responses");
                    assertEquals(String.valueOf(9 - i), header(ok, "RateLimit-Remaining"));
                    assertEquals(String.valueOf(9 - i), header(ok, "X-RateLimit-Remaining"));
                    assertNotNull(header(ok, "RateLimit-Reset"));
                }
                for (int i = 10; i < 15; i++) {
                    HttpResponse<String> limited = responses.get(i);
                    long retryAfter = Long.parseLong(header(limited, "Retry-After"));
                    assertTrue(retryAfter >= 1 && retryAfter <= 2, "Retry-After " + retryAfter);
                    assertEquals("10", header(limited, "RateLimit-Limit"));
                    assertEquals("0", header(limited, "RateLimit-Remaining"));
                    long reset = Long.parseLong(header(limited, "RateLimit-Reset"));
                    assertTrue(reset >= 19 && reset <= 20, "RateLimit-Reset " + reset);
                    assertEquals("10", header(limited, "X-RateLimit-Limit"));
                    assertEquals("0", header(limited, "X-RateLimit-Remaining"));
                    assertEquals(String.valueOf(reset), header(limited, "X-RateLimit-Reset"));
                    assertEquals("Too Many Requests\n", limited.body());
                    assertEquals(null, header(limited, "X-Backend-Name"), "written by the proxy, not the backend");
                }
                assertEquals(10, backend.requestsServed(), "the backend never saw a rejected request");

                Thread.sleep(2_100);
                assertEquals(List.of(200, 429), statuses(proxy, 2), "one token came back in 2 s, not two");
                assertEquals(11, backend.requestsServed());

                String log = proxy.log();
                List<String> warnings = log.lines().filter(l -> l.contains("WARN") && l.contains("rejecting requests of"))
                        .collect(Collectors.toList());
                assertFalse(warnings.isEmpty(), () -> "a WARN line for the rejected key; log:\n" + log);
                assertTrue(warnings.get(0).contains("127.0.0.1"), warnings.get(0));
                assertTrue(warnings.size() <= 3, () -> "at most one per key per second: " + warnings);
                proxy.assertAlive();
            }
        }
    }

    @Test
    @Timeout(60)
    void slidingWindowOfTenPerMinuteRejectsTheEleventh() throws Exception {
        try (TestBackend backend = new TestBackend("solo")) {
            backend.start();
            try (ProxyProcess proxy = start(backend, 1,
                    "{ mode: sliding_window, max_requests: 10, window: 60s }")) {
                HttpResponse<String> first = get(proxy, "/name");
                assertEquals(200, first.statusCode(), () -> "log:\n" + proxy.log());
                assertEquals(null, header(first, "RateLimit-Limit"), "headers: false (the default) leaves 200s alone");
                assertEquals(repeat(200, 9), statuses(proxy, 9));
                HttpResponse<String> eleventh = get(proxy, "/name");
                assertEquals(429, eleventh.statusCode());
                long retryAfter = Long.parseLong(header(eleventh, "Retry-After"));
                assertTrue(retryAfter >= 55 && retryAfter <= 60, "Retry-After " + retryAfter);
                assertEquals("10", header(eleventh, "RateLimit-Limit"));
                assertEquals("0", header(eleventh, "RateLimit-Remaining"));
                assertEquals(10, backend.requestsServed());
            }
        }
    }

    @Test
    @Timeout(60)
    void appIdKeyedLimitingWithASharedBucketForRequestsWithoutIt() throws Exception {
        try (TestBackend backend = new TestBackend("solo")) {
            backend.start();
            try (ProxyProcess proxy = start(backend, 1,
                    "{ burst: 3, refill_per_second: 0.01, key: header, header: appid, missing_key: shared }")) {
                assertEquals(List.of(200, 200, 200, 429, 429), statuses(proxy, 5, "appid", "alpha"),
                        () -> "log:\n" + proxy.log());
                assertEquals(List.of(200, 200, 200, 429), statuses(proxy, 4, "appid", "beta"), "another appid, another bucket");
                assertEquals(List.of(200, 200, 200, 429), statuses(proxy, 4), "no appid: one shared bucket");
                assertEquals(List.of(429, 429), statuses(proxy, 2, "appid", ""), "an empty appid is no appid");
                assertEquals(9, backend.requestsServed());
            }
        }
    }

    @Test
    @Timeout(60)
    void appIdKeyedLimitingThatLetsRequestsWithoutItThrough() throws Exception {
        try (TestBackend backend = new TestBackend("solo")) {
            backend.start();
            try (ProxyProcess proxy = start(backend, 1,
                    "{ burst: 2, refill_per_second: 0.01, key: header, header: appid, missing_key: allow }")) {
                assertEquals(List.of(200, 200, 429), statuses(proxy, 3, "AppId", "alpha"), () -> "log:\n" + proxy.log());
                assertEquals(repeat(200, 12), statuses(proxy, 12), "without appid: not limited");
                assertEquals(14, backend.requestsServed());
            }
        }
    }

    @Test
    @Timeout(60)
    void behindATrustedProxyEachForwardedClientHasItsOwnBucket() throws Exception {
        try (TestBackend backend = new TestBackend("solo")) {
            backend.start();
            try (ProxyProcess proxy = start(backend, 1,
                    "{ burst: 2, refill_per_second: 0.01, trusted_proxies: ['127.0.0.1/32'] }")) {
                assertEquals(List.of(200, 200, 429), statuses(proxy, 3, "X-Forwarded-For", "198.51.100.1"),
                        () -> "log:\n" + proxy.log());
                assertEquals(List.of(200, 200, 429), statuses(proxy, 3, "X-Forwarded-For", "198.51.100.2"));
                assertEquals(List.of(429), statuses(proxy, 1, "X-Forwarded-For", "203.0.113.66, 198.51.100.1"),
                        "the right-most untrusted entry is the client; what it wrote to its left is not believed");
                assertEquals(List.of(200, 200, 429), statuses(proxy, 3), "without the header, the peer itself");
                assertEquals(6, backend.requestsServed());
                assertTrue(proxy.log().contains("198.51.100.1"), () -> "the WARN line names the forwarded client:\n" + proxy.log());
            }
        }
    }

    @Test
    @Timeout(60)
    void fromAnUntrustedPeerASpoofedForwardedForBuysNoNewBucket() throws Exception {
        try (TestBackend backend = new TestBackend("solo")) {
            backend.start();
            try (ProxyProcess proxy = start(backend, 1,
                    "{ burst: 2, refill_per_second: 0.01, trusted_proxies: ['10.0.0.0/8'] }")) {
                assertEquals(List.of(200, 200, 429), statuses(proxy, 3, "X-Forwarded-For", "198.51.100.1"),
                        () -> "log:\n" + proxy.log());
                assertEquals(List.of(429, 429), statuses(proxy, 2, "X-Forwarded-For", "198.51.100.2"));
                assertEquals(List.of(429), statuses(proxy, 1, "X-Forwarded-For", "10.1.1.1"));
                assertEquals(List.of(429), statuses(proxy, 1));
                assertEquals(2, backend.requestsServed());
            }
        }
    }

    @Test
    @Timeout(120)
    void sixtyFourConcurrentClientsOnOneKeyGetExactlyTheBurst() throws Exception {
        int burst = 20;
        int clients = 64;
        int each = 3;
        try (TestBackend backend = new TestBackend("solo")) {
            backend.start();
            try (ProxyProcess proxy = start(backend, 4,
                    "{ burst: " + burst + ", refill_per_second: 0.001 }")) {
                AtomicInteger ok = new AtomicInteger();
                AtomicInteger limited = new AtomicInteger();
                List<String> other = java.util.Collections.synchronizedList(new ArrayList<>());
                ExecutorService pool = Executors.newFixedThreadPool(clients);
                CountDownLatch go = new CountDownLatch(1);
                try {
                    List<Future<?>> futures = new ArrayList<>();
                    for (int c = 0; c < clients; c++) {
                        futures.add(pool.submit(() -> {
                            go.await();
                            for (int i = 0; i < each; i++) {
                                RawHttp.Exchange x = RawHttp.exchange(proxy.port(),
                                        "GET /name HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", TIMEOUT);
                                String text = x.text();
                                if (text.startsWith("HTTP/1.1 200 ")) {
                                    ok.incrementAndGet();
                                } else if (text.startsWith("HTTP/1.1 429 ")) {
                                    limited.incrementAndGet();
                                } else {
                                    other.add(text);
                                }
                            }
                            return null;
                        }));
                    }
                    go.countDown();
                    for (Future<?> f : futures) {
                        f.get(60, TimeUnit.SECONDS);
                    }
                } finally {
                    pool.shutdownNow();
                }
                assertEquals(List.of(), other, "every answer is a 200 or a 429");
                assertEquals(burst, ok.get(), () -> "log:\n" + proxy.log());
                assertEquals(clients * each - burst, limited.get());
                assertEquals(burst, backend.requestsServed());
                proxy.assertAlive();
            }
        }
    }

    /**
     * The real proxy with the chain [rate-limit (configured by the test), load-balancer over
     * {@code backend}]; {@link ProxyProcess#close()} checks for leak reports, a graceful exit and a
     * clean temp directory.
     *
     * @param rateLimitConfig the rate-limit entry's {@code config:} as a YAML flow mapping
     */
    private ProxyProcess start(TestBackend backend, int workers, String rateLimitConfig)
            throws IOException, InterruptedException {
        return ProxyProcess.builder(dir)
                .workers(workers)
                .pluginJars(ProxyProcess.rateLimitJar())
                .chainYaml("    - id: rate-limit\n"
                        + "      config: " + rateLimitConfig + "\n"
                        + ProxyProcess.chainEntries(List.of("127.0.0.1:" + backend.port())))
                .start();
    }
}
