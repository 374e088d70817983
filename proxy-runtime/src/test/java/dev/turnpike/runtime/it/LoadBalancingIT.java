package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.turnpike.testing.DeterministicBytes;
import dev.turnpike.testing.ResettingBackend;
import dev.turnpike.testing.TestBackend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled load-balancer in the packaged proxy, against real backends on ephemeral ports:
 * selection policies, active and passive health, failover under load, panic, the last healthy
 * backend kept in, and the all-down answers.
 * Figures a test measures (how fast a backend left or rejoined the rotation) are printed for the
 * closing note; the bounds asserted are the (fall × interval, rise × interval) plus one
 * interval and a fixed slack for a loaded CI machine.
 */
@Timeout(120)
class LoadBalancingIT {

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @AfterEach
    void closeEverything() throws Exception {
        for (int i = closeAfter.size() - 1; i >= 0; i--) {
            closeAfter.get(i).close();
        }
    }

    // ------------------------------------------------------------------ selection

    @Test
    void roundRobinIsEvenAndWeightsAreHonouredSmoothly() throws Exception {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        TestBackend c = backend("c");
        ProxyProcess proxy = start(""
                + "groups:\n"
                + "  even:\n"
                + "    backends: [" + addr(a) + ", " + addr(b) + ", " + addr(c) + "]\n"
                + "  weighted:\n"
                + "    backends:\n"
                + "      - { address: " + addr(a) + ", weight: 5 }\n"
                + "      - { address: " + addr(b) + ", weight: 3 }\n"
                + "      - { address: " + addr(c) + ", weight: 1 }\n"
                + "routes:\n"
                + "  - { path_prefix: /even, group: even }\n"
                + "  - { path_prefix: /weighted, group: weighted }\n");

        Map<String, Integer> even = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            even.merge(get(proxy, "/even/name").body(), 1, Integer::sum);
        }
        for (String name : List.of("a", "b", "c")) {
            int n = even.getOrDefault(name, 0);
            assertTrue(Math.abs(n - 100) <= 1, () -> "round robin counts within ±1 of 100: " + even);
        }

        List<String> order = new ArrayList<>();
        for (int i = 0; i < 900; i++) {
            order.add(get(proxy, "/weighted/name").body());
        }
        Map<String, Integer> counts = new HashMap<>();
        order.forEach(n -> counts.merge(n, 1, Integer::sum));
        assertEquals(Map.of("a", 500, "b", 300, "c", 100), counts, "5:3:1 over 900 requests");
        int longest = 1;
        int run = 1;
        for (int i = 1; i < order.size(); i++) {
            run = order.get(i).equals(order.get(i - 1)) ? run + 1 : 1;
            longest = Math.max(longest, run);
        }
        // nginx's smooth sequence for 5:3:1 is a b a c a b a b a: never more than two in a row.
        assertTrue(longest <= 2, "smooth: the heaviest backend never gets a burst; longest run " + longest);
    }

    @Test
    void leastConnectionsSendsNewRequestsAwayFromABackendHoldingSlowOnes() throws Exception {
        TestBackend fast = backend("fast");
        AtomicInteger slowServed = new AtomicInteger();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        HttpServer slow = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        ExecutorService slowThreads = Executors.newCachedThreadPool();
        slow.setExecutor(slowThreads);
        slow.createContext("/", exchange -> {
            slowServed.incrementAndGet();
            try {
                release.await(30, TimeUnit.SECONDS); // held until every request has been placed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "slow".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        slow.start();
        closeAfter.add(() -> {
            release.countDown();
            slow.stop(0);
            slowThreads.shutdownNow();
        });
        ProxyProcess proxy = start("backends: [" + addr(fast) + ", '127.0.0.1:" + slow.getAddress().getPort() + "']\n"
                + "policy: least_conn\n");

        // 20 requests, each placed once the one before has been answered by the fast backend or is
        // being held by the slow one: the slow backend then always has one in flight and the fast
        // one none, whatever the machine's speed. Round robin would give the slow backend 10.
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int held = slowServed.get();
            CompletableFuture<HttpResponse<String>> f = client.sendAsync(request(proxy, "/name").build(), BodyHandlers.ofString());
            pending.add(f);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!f.isDone() && slowServed.get() == held && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
        }
        release.countDown();
        Map<String, Integer> counts = new HashMap<>();
        for (CompletableFuture<HttpResponse<String>> f : pending) {
            HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode());
            counts.merge(r.body(), 1, Integer::sum);
        }
        System.out.println("least_conn, one backend holding its requests: " + counts);
        int slowCount = counts.getOrDefault("slow", 0);
        assertTrue(slowCount <= 1, () -> "once the slow backend holds a request, new ones go to the backend with fewer"
                + " in flight: " + counts);
        assertEquals(20 - slowCount, counts.get("fast"));
    }

    @Test
    void consistentHashKeepsKeysAndMovesOnlyTheLeavingBackendsShare() throws Exception {
        List<TestBackend> backends = new ArrayList<>();
        StringBuilder list = new StringBuilder();
        for (String name : List.of("h1", "h2", "h3", "h4")) {
            TestBackend t = backend(name);
            backends.add(t);
            list.append(list.length() == 0 ? "" : ", ").append(addr(t));
        }
        ProxyProcess proxy = start("backends: [" + list + "]\n"
                + "policy: consistent_hash\n"
                + "hash_key: header:X-User\n"
                + "health_check: { type: tcp, interval: 200ms, timeout: 200ms, fall: 1, rise: 1 }\n");

        int users = 400;
        Map<String, String> before = new HashMap<>();
        for (int u = 0; u < users; u++) {
            String first = get(proxy, "/name", "X-User", "user-" + u).body();
            assertEquals(first, get(proxy, "/name", "X-User", "user-" + u).body(), "the same key, the same backend");
            before.put("user-" + u, first);
        }
        TestBackend leaving = backends.get(3);
        leaving.close();
        waitFor(Duration.ofSeconds(10), () -> proxy.log().contains("backend " + hostPort(leaving) + " of group default is DOWN"));

        int moved = 0;
        int movedWrongly = 0;
        for (int u = 0; u < users; u++) {
            String now = get(proxy, "/name", "X-User", "user-" + u).body();
            String was = before.get("user-" + u);
            if (!now.equals(was)) {
                moved++;
                if (!was.equals("h4")) {
                    movedWrongly++;
                }
            }
        }
        double fraction = moved / (double) users;
        System.out.printf("consistent hash: %d of %d keys moved (%.3f) when one of 4 backends left%n", moved, users, fraction);
        assertEquals(0, movedWrongly, "keys of the backends that stayed do not move");
        assertTrue(fraction > 0.12 && fraction < 0.40, "about 1/4 of the keys move: " + fraction);
    }

    // ------------------------------------------------------------------ health and failover

    @Test
    void aBackendStoppedUnderLoadFailsNoRequestAndLeavesAndRejoinsInTime() throws Exception {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        TestBackend c = backend("c");
        int interval = 200;
        int fall = 2;
        int rise = 2;
        ProxyProcess proxy = start("backends: [" + addr(a) + ", " + addr(b) + ", " + addr(c) + "]\n"
                + "health_check: { type: http, path: /name, interval: " + interval + "ms, timeout: 1s, fall: " + fall
                + ", rise: " + rise + " }\n"
                // Under load, b's refused connections eject it passively before its check fails; the
                // cool-down (default 10 s) is the least time it then stays out. 2 s here: it is over by
                // the time b restarts, so the return is the active check's rise alone.
                + "passive: { cooldown: 2s }\n");
        int metrics = metricsPort(proxy);
        String bUp = "turnpike_lb_backend_up{group=\"default\",backend=\"" + "127.0.0.1:" + b.port() + "\"}";

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        Map<String, Integer> failures = new ConcurrentHashMap<>();
        ExecutorService load = Executors.newFixedThreadPool(4);
        List<Future<?>> loops = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            loops.add(load.submit(() -> {
                while (running.get()) {
                    try {
                        HttpResponse<String> r = client.send(request(proxy, "/name").build(), BodyHandlers.ofString());
                        if (r.statusCode() == 200) {
                            ok.incrementAndGet();
                        } else {
                            failures.merge("status " + r.statusCode() + ": " + r.body().trim(), 1, Integer::sum);
                        }
                    } catch (Exception e) {
                        failures.merge(e.toString(), 1, Integer::sum);
                    }
                }
                return null;
            }));
        }
        try {
            Thread.sleep(1000);
            int port = b.port();
            long stopped = System.nanoTime();
            b.close();
            waitFor(Duration.ofSeconds(10), () -> metric(metrics, bUp) == 0.0);
            long leftMillis = (System.nanoTime() - stopped) / 1_000_000;
            Thread.sleep(2500); // load keeps running with b down and out of rotation, past the cool-down
            int servedWhileDown = a.requestsServed() + c.requestsServed();

            TestBackend back = new TestBackend("b");
            closeAfter.add(back);
            long restarted = System.nanoTime();
            back.start(port);
            waitFor(Duration.ofSeconds(10), () -> metric(metrics, bUp) == 1.0);
            long rejoinedMillis = (System.nanoTime() - restarted) / 1_000_000;
            waitFor(Duration.ofSeconds(5), () -> back.requestsServed() > 0);
            Thread.sleep(500);
            running.set(false);
            for (Future<?> f : loops) {
                f.get(30, TimeUnit.SECONDS);
            }
            long seconds = 1 + 2 + 1; // roughly: before, down, after
            System.out.printf("failover under load: %d requests ok, %d failed; b left the rotation %d ms after it stopped"
                            + " (fall x interval = %d ms), rejoined %d ms after it restarted (rise x interval = %d ms);"
                            + " retries counted: %.0f; ~%d req/s%n",
                    ok.get(), failures.values().stream().mapToInt(Integer::intValue).sum(), leftMillis, fall * interval,
                    rejoinedMillis, rise * interval, metricSum(metrics, "turnpike_upstream_retries_total"),
                    ok.get() / Math.max(1, seconds + (leftMillis + rejoinedMillis) / 1000));
            assertEquals(Map.of(), failures, "no client request failed");
            assertTrue(ok.get() >= 500, "hundreds of requests per second went through: " + ok.get());
            assertTrue(servedWhileDown > 0);
            assertTrue(leftMillis <= fall * interval + interval + 1000,
                    "left within fall x interval (+ one interval of phase, + slack): " + leftMillis + " ms");
            assertTrue(rejoinedMillis <= rise * interval + interval + 1000,
                    "rejoined within rise x interval (+ one interval of phase, + slack): " + rejoinedMillis + " ms");
            assertEquals(1, count(proxy.log(), "backend 127.0.0.1:" + port + " of group default is DOWN"),
                    "the change is logged once");
            assertEquals(1, count(proxy.log(), "backend 127.0.0.1:" + port + " of group default is UP"),
                    "the change back is logged once");
        } finally {
            running.set(false);
            load.shutdownNow();
        }
    }

    @Test
    void anHttpCheckGetting500MarksDownAndAHangingCheckStallsNoOtherCheck() throws Exception {
        TestBackend erring = backend("erring");
        TestBackend hanging = backend("hanging");
        TestBackend healthy = backend("healthy");
        ProxyProcess proxy = start(""
                + "groups:\n"
                + "  erring:\n"
                + "    backends: [" + addr(erring) + "]\n"
                + "    health_check: { path: /status/500, interval: 200ms, timeout: 1s, fall: 2 }\n"
                + "    when_all_down: unavailable\n" // written out: 503 once its only backend is down
                + "  hanging:\n"
                + "    backends: [" + addr(hanging) + "]\n"
                + "    health_check: { path: /silent, interval: 200ms, timeout: 500ms, fall: 2 }\n" // default: panic
                + "  healthy:\n"
                + "    backends: [" + addr(healthy) + "]\n"
                + "    health_check: { path: /name, interval: 200ms, timeout: 1s, fall: 2 }\n"
                + "routes:\n"
                + "  - { path_prefix: /erring, group: erring }\n"
                + "  - { path_prefix: /hanging, group: hanging }\n"
                + "  - { path_prefix: /healthy, group: healthy }\n");
        int metrics = metricsPort(proxy);
        waitFor(Duration.ofSeconds(10), () -> proxy.log().contains("backend " + hostPort(erring) + " of group erring is DOWN"));
        assertTrue(proxy.log().contains("HTTP check got 500"), "the reason names the status");
        waitFor(Duration.ofSeconds(10), () -> proxy.log().contains("backend " + hostPort(hanging) + " of group hanging is DOWN"));
        assertTrue(proxy.log().contains("timed out after 500ms"), "the reason names the timeout");

        // While the hanging backend's checks sit out their timeouts, the healthy one is checked every interval.
        String okChecks = "turnpike_lb_health_checks_total{group=\"healthy\",backend=\"" + hostPort(healthy)
                + "\",result=\"ok\"}";
        double before = metric(metrics, okChecks);
        Thread.sleep(1000);
        double during = metric(metrics, okChecks) - before;
        System.out.printf("healthy backend checks in 1 s beside a hanging one: %.0f (interval 200 ms)%n", during);
        assertTrue(during >= 3, "the healthy backend kept its pace: " + during + " checks in 1 s");
        String hangingChecks = "turnpike_lb_health_checks_total{group=\"hanging\",backend=\"" + hostPort(hanging)
                + "\",result=\"failed\"}";
        double hangs = metric(metrics, hangingChecks);
        assertTrue(hanging.openConnections() <= 2,
                "a hanging check is not piled on by the next ones: " + hanging.openConnections() + " open (" + hangs + " failed)");

        assertEquals(503, get(proxy, "/erring/name").statusCode(), "its only backend is down, when_all_down: unavailable");
        // Left to the default, a group with none healthy is in panic: the request goes to the backend
        // anyway (whose /name answers, only its health path hangs).
        HttpResponse<String> panicked = get(proxy, "/hanging/name");
        assertEquals(200, panicked.statusCode(), panicked.body());
        assertEquals("hanging", panicked.body());
        assertTrue(proxy.log().contains("group hanging is in PANIC: 0 of 1 backends healthy"), proxy.log());
        assertEquals(1.0, metric(metrics, "turnpike_lb_panic{group=\"hanging\"}"));
        assertEquals(0.0, metric(metrics, "turnpike_lb_panic{group=\"erring\"}"));
        assertEquals(1.0, metric(metrics, "turnpike_lb_panic_requests_total{group=\"hanging\"}"));
        assertEquals("healthy", get(proxy, "/healthy/name").body());
        assertEquals(1.0, metric(metrics, "turnpike_lb_backend_up{group=\"healthy\",backend=\"" + hostPort(healthy) + "\"}"));
        assertEquals(0.0, metric(metrics, "turnpike_lb_backend_up{group=\"erring\",backend=\"" + hostPort(erring) + "\"}"));
    }

    @Test
    void aGetResetBeforeItsAnswerIsRetriedElsewhereButAPostWithALargeBodyIsNot() throws Exception {
        ResettingBackend broken = new ResettingBackend(16 * 1024);
        closeAfter.add(broken);
        TestBackend good = backend("good");
        ProxyProcess proxy = start("backends: ['127.0.0.1:" + broken.port() + "', " + addr(good) + "]\n"
                + "passive: { max_fails: 0 }\n"); // keep the broken one in rotation: every other request meets it

        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = get(proxy, "/name");
            assertEquals(200, r.statusCode(), "a GET the broken backend reset went to the good one");
            assertEquals("good", r.body());
        }
        assertTrue(broken.requests() >= 4, "the broken backend did get (and reset) GETs: " + broken.requests());

        byte[] body = DeterministicBytes.bytes(1 << 20);
        int served = good.requestsServed();
        int ok = 0;
        int badGateway = 0;
        int brokenBefore = broken.requests();
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = client.send(request(proxy, "/upload")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                ok++;
                assertTrue(r.body().contains("\"bytes\":" + body.length), r.body());
            } else {
                assertEquals(502, r.statusCode(), r.body());
                badGateway++;
            }
        }
        assertEquals(broken.requests() - brokenBefore, badGateway, "each POST the broken backend took failed, none was retried");
        assertTrue(badGateway >= 2, "some POSTs met the broken backend: " + badGateway);
        assertEquals(ok, good.requestsServed() - served, "the good backend saw only the POSTs sent to it first");
    }

    @Test
    void allBackendsDownIsA503AtOnceOrA502WhenFailingOpen() throws Exception {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        String check = "health_check: { type: tcp, interval: 200ms, timeout: 200ms, fall: 1 }\n";
        ProxyProcess strict = start("backends: [" + addr(a) + ", " + addr(b) + "]\nconnect_timeout: 500ms\n" + check
                + "when_all_down: unavailable\n"); // the default, panic, would try them
        a.close();
        b.close();
        waitFor(Duration.ofSeconds(10), () -> count(strict.log(), "of group default is DOWN") == 2);
        assertEquals(503, get(strict, "/name").statusCode()); // and warms the client connection and the JIT
        long t0 = System.nanoTime();
        HttpResponse<String> r = get(strict, "/name");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(503, r.statusCode());
        assertTrue(r.body().contains("no healthy backend"), r.body());
        assertTrue(r.headers().firstValue("Retry-After").isPresent());
        assertTrue(ms < 500, "503 at once, within the connect timeout: " + ms + " ms");
        System.out.println("all down, 503: " + ms + " ms");

        ProxyProcess open = start("backends: [" + addr(a) + ", " + addr(b) + "]\nconnect_timeout: 500ms\n" + check
                + "when_all_down: fail_open\n");
        waitFor(Duration.ofSeconds(10), () -> count(open.log(), "of group default is DOWN") == 2);
        assertEquals(502, get(open, "/name").statusCode());
        t0 = System.nanoTime();
        r = get(open, "/name");
        ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(502, r.statusCode(), "fail open: tried anyway, and the connect failed");
        assertTrue(ms < 2 * 500, "within the connect timeout of each attempt: " + ms + " ms");
        System.out.println("all down, fail open, 502: " + ms + " ms");

        // Left to the default, none healthy is a panic: tried anyway too, and said once.
        ProxyProcess panicking = start("backends: [" + addr(a) + ", " + addr(b) + "]\nconnect_timeout: 500ms\n" + check);
        waitFor(Duration.ofSeconds(10), () -> count(panicking.log(), "of group default is DOWN") == 2);
        assertEquals(502, get(panicking, "/name").statusCode(), "panic: tried anyway, and the connect failed");
        assertEquals(1, count(panicking.log(), "group default is in PANIC: 0 of 2 backends healthy"), panicking.log());
    }

    /**
     * The case: the only backend of a group answers 503 five times in a row. Whether 503s
     * count (statuses listed) or not (the default), the sixth request still goes to it: the
     * proxy never answers for the backend with a 503 of its own.
     */
    @Test
    void theOnlyBackendAnswering503FiveTimesInARowStillGetsTheSixthRequest() throws Exception {
        for (String passive : List.of("", "passive: { max_fails: 3, statuses: [502, 503, 504] }\n")) {
            TestBackend only = backend("only");
            ProxyProcess proxy = start("backends: [" + addr(only) + "]\n" + passive);
            for (int i = 1; i <= 6; i++) {
                HttpResponse<String> r = get(proxy, "/status/503");
                assertEquals(503, r.statusCode());
                assertEquals("only", r.body(), "request " + i + " was answered by the backend, not by the proxy ("
                        + passive.trim() + ")");
            }
            assertEquals(6, only.requestsServed(), "the backend saw all six (" + passive.trim() + ")");
            String log = proxy.log();
            assertTrue(!log.contains(" is DOWN"), log);
            if (!passive.isEmpty()) {
                assertEquals(1, count(log, "backend " + hostPort(only) + " of group default stays UP: 3 request(s) in a row"
                        + " failed, the last: answered 503; not ejected: it is the last healthy backend of its group"),
                        "told once (per cool-down): " + log);
            }
        }
    }

    @Test
    void withTooFewHealthyBackendsTheGroupPanicsAndSpreadsOverAll() throws Exception {
        List<String> names = List.of("p1", "p2", "p3", "p4");
        List<TestBackend> backends = new ArrayList<>();
        StringBuilder list = new StringBuilder();
        for (String name : names) {
            TestBackend t = backend(name);
            backends.add(t);
            list.append(list.length() == 0 ? "" : ", ").append(addr(t));
        }
        ProxyProcess proxy = start("backends: [" + list + "]\n"
                + "health_check: { path: /name, interval: 200ms, timeout: 500ms, fall: 1, rise: 1 }\n"
                // Panic sends real requests to the closed backends, which eject them passively too;
                // a short cool-down lets their checks bring them back soon after they return.
                + "passive: { cooldown: 1s }\n"
                + "panic_threshold: 50%\n");
        int metrics = metricsPort(proxy);
        for (TestBackend t : backends.subList(1, 4)) {
            t.close();
        }
        // 1 of 4 healthy is below 50%.
        waitFor(Duration.ofSeconds(10), () -> proxy.log().contains("group default is in PANIC: 1 of 4 backends healthy"));
        assertEquals(1.0, metric(metrics, "turnpike_lb_panic{group=\"default\"}"));
        int served = backends.get(0).requestsServed();
        for (int i = 0; i < 12; i++) {
            get(proxy, "/name"); // some end in 502: each retry may meet another closed backend
        }
        assertEquals(12.0, metric(metrics, "turnpike_lb_panic_requests_total{group=\"default\"}"));
        assertTrue(metricSum(metrics, "turnpike_upstream_retries_total") > 0,
                "in panic the closed backends got requests too, and failed them over");
        assertTrue(backends.get(0).requestsServed() > served, "and the healthy one its share");

        // One comes back: 2 of 4 is not below 50%, the group leaves panic and says so once.
        TestBackend again = new TestBackend("p2");
        closeAfter.add(again);
        again.start(backends.get(1).port());
        waitFor(Duration.ofSeconds(10), () -> proxy.log().contains("group default left panic: 2 of 4 backends healthy"));
        assertEquals(0.0, metric(metrics, "turnpike_lb_panic{group=\"default\"}"));
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            counts.merge(get(proxy, "/name").body(), 1, Integer::sum);
        }
        assertEquals(java.util.Set.of("p1", "p2"), counts.keySet(), "only the healthy ones again: " + counts);
        assertEquals(1, count(proxy.log(), "group default is in PANIC"), proxy.log());
        assertEquals(1, count(proxy.log(), "group default left panic"), proxy.log());
    }

    @Test
    void aConfigReloadKeepsTheHealthOfBackendsThatStayed() throws Exception {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        TestBackend c = backend("c");
        // Passive health only, with a long cool-down: once b is ejected, only carried state keeps it out.
        String passive = "passive: { max_fails: 1, cooldown: 60s }\n";
        ProxyProcess proxy = start("backends: [" + addr(a) + ", " + addr(b) + "]\n" + passive);
        int port = b.port();
        b.close();
        for (int i = 0; i < 6; i++) {
            assertEquals("a", get(proxy, "/name").body(), "b's failures go to a");
        }
        assertTrue(proxy.log().contains("backend 127.0.0.1:" + port + " of group default is DOWN"));
        TestBackend bBack = new TestBackend("b");
        closeAfter.add(bBack);
        bBack.start(port); // healthy again, but its cool-down has 60 s to run

        String yaml = Files.readString(proxy.config());
        Path edited = proxy.config().resolveSibling("edited.yaml");
        Files.writeString(edited, yaml.replace("backends: [" + addr(a) + ", " + addr(b) + "]",
                "backends: [" + addr(a) + ", '127.0.0.1:" + port + "', " + addr(c) + "]"));
        Files.move(edited, proxy.config(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        waitFor(Duration.ofSeconds(10), () -> proxy.log().contains("configuration reloaded"));
        waitFor(Duration.ofSeconds(5), () -> {
            try {
                return get(proxy, "/name").body().equals("c");
            } catch (Exception e) {
                return false;
            }
        });
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 40; i++) {
            counts.merge(get(proxy, "/name").body(), 1, Integer::sum);
        }
        assertEquals(0, bBack.requestsServed(), "b stays out: its health came across the reload " + counts);
        assertEquals(20, counts.get("a"), counts.toString());
        assertEquals(20, counts.get("c"), counts.toString());
    }

    // ------------------------------------------------------------------ helpers

    private TestBackend backend(String name) {
        TestBackend t = new TestBackend(name);
        t.start();
        closeAfter.add(t);
        return t;
    }

    private static String hostPort(TestBackend t) {
        return "127.0.0.1:" + t.port();
    }

    /** {@link #hostPort}, quoted for YAML. */
    private static String addr(TestBackend t) {
        return "'127.0.0.1:" + t.port() + "'";
    }

    /** The packaged proxy, one event loop more than one so requests cross loops, with this load-balancer config. */
    private ProxyProcess start(String lbConfig) throws IOException, InterruptedException {
        StringBuilder indented = new StringBuilder();
        for (String line : lbConfig.split("\n")) {
            indented.append("        ").append(line).append('\n');
        }
        ProxyProcess p = ProxyProcess.builder(Files.createTempDirectory(dir, "proxy"))
                .workers(2)
                .chainYaml("    - id: load-balancer\n      config:\n" + indented)
                .start();
        closeAfter.add(p);
        return p;
    }

    private static HttpRequest.Builder request(ProxyProcess p, String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(p.uri(path)).timeout(Duration.ofSeconds(20));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b;
    }

    private HttpResponse<String> get(ProxyProcess p, String path, String... headers) throws IOException, InterruptedException {
        return client.send(request(p, path, headers).build(), BodyHandlers.ofString());
    }

    private static int metricsPort(ProxyProcess p) throws InterruptedException {
        Pattern port = Pattern.compile("metrics on http://[^:]+:(\\d+)/metrics");
        AtomicLong found = new AtomicLong(-1);
        waitFor(Duration.ofSeconds(10), () -> {
            Matcher m = port.matcher(p.log());
            if (m.find()) {
                found.set(Long.parseLong(m.group(1)));
                return true;
            }
            return false;
        });
        return (int) found.get();
    }

    /** One series' value from /metrics, or NaN when absent. */
    private double metric(int port, String series) {
        for (String line : scrape(port).replace(",}", "}").split("\n")) { // the text format ends labels with ","
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return Double.NaN;
    }

    /** The sum of every series of a metric. */
    private double metricSum(int port, String name) {
        double sum = 0;
        for (String line : scrape(port).split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private String scrape(int port) {
        try {
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    private static void waitFor(Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + limit);
            }
            Thread.sleep(20);
        }
    }
}
