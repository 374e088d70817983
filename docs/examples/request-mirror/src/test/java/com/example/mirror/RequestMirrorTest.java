package com.example.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.testkit.phases.Exchange;
import dev.turnpike.testkit.phases.FakeSession;
import dev.turnpike.testkit.phases.PhaseHarness;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Mirrors against a real shadow: a JDK HttpServer on 127.0.0.1, on an ephemeral port. */
class RequestMirrorTest {

    /** What the shadow received. */
    record Received(String method, String uri, String user, String forwardedHost, String mirror, String body) {
    }

    private static final Peer BACKEND = Peer.of("10.0.0.5", 8080);

    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    /** Held shut, the shadow answers nothing: a slow mirror. */
    private final CountDownLatch answer = new CountDownLatch(1);
    private volatile boolean slow;
    private ExecutorService shadowThreads;
    private HttpServer shadow;
    private final List<PhaseHarness<?>> harnesses = new ArrayList<>();

    @BeforeEach
    void startShadow() throws Exception {
        shadow = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        shadow.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            var h = exchange.getRequestHeaders();
            received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().toString(), h.getFirst("X-User"),
                    h.getFirst("X-Forwarded-Host"), h.getFirst("X-Turnpike-Mirror"), body));
            if (slow) {
                try {
                    answer.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exchange.sendResponseHeaders(500, -1); // the shadow's status means nothing to the proxy
            exchange.close();
        });
        shadowThreads = Executors.newCachedThreadPool();
        shadow.setExecutor(shadowThreads); // several mirrors may hang at once
        shadow.start();
    }

    @AfterEach
    void stopAll() {
        answer.countDown();
        harnesses.forEach(PhaseHarness::stop);
        shadow.stop(0);
        shadowThreads.shutdownNow();
    }

    private PhaseHarness<RequestMirror.Copy> mirror(Object... config) {
        Map<String, Object> m = new java.util.HashMap<>();
        m.put("target", "http://127.0.0.1:" + shadow.getAddress().getPort());
        for (int i = 0; i < config.length; i += 2) {
            m.put((String) config[i], config[i + 1]);
        }
        PhaseHarness<RequestMirror.Copy> h = PhaseHarness.start(new RequestMirror(), m);
        harnesses.add(h);
        return h;
    }

    private static FakeSession request(String method, String uri) {
        return FakeSession.request(method, uri).header("Host", "shop.example").header("X-User", "u-1").peer(BACKEND);
    }

    @Test
    void theShadowGetsMethodTargetAndHeaders() throws Exception {
        PhaseHarness<RequestMirror.Copy> h = mirror();
        Exchange<RequestMirror.Copy> x = h.run(request("DELETE", "/carts/7?force=1"));

        assertEquals(200, x.session().status());
        Received r = received.poll(10, TimeUnit.SECONDS);
        assertNotNull(r, "the mirror never arrived");
        assertEquals(new Received("DELETE", "/carts/7?force=1", "u-1", "shop.example", "1", ""), r);
        waitFor(() -> h.metrics().value("mirror_requests_total", "sent") == 1);
        assertEquals(0.0, h.metrics().value("mirror_in_flight"));
    }

    @Test
    void aSlowShadowDoesNotHoldTheRequest() throws Exception {
        slow = true;
        PhaseHarness<RequestMirror.Copy> h = mirror();
        Exchange<RequestMirror.Copy> x = h.run(request("GET", "/slow"));

        // The request is over, every phase having proceeded, while the shadow still holds its copy.
        assertTrue(x.calls().stream().allMatch(c -> c.returned().kind() == Outcome.Kind.PROCEED));
        assertTrue(x.logged());
        assertNotNull(received.poll(10, TimeUnit.SECONDS));
        assertEquals(1.0, h.metrics().value("mirror_in_flight"));
        answer.countDown();
        waitFor(() -> h.metrics().value("mirror_in_flight") == 0);
    }

    @Test
    void aDeadShadowIsCountedAndChangesNothing() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            dead = s.getLocalPort(); // closed below: nothing listens there
        }
        PhaseHarness<RequestMirror.Copy> h = PhaseHarness.start(new RequestMirror(), Map.of("target", "http://127.0.0.1:" + dead));
        harnesses.add(h);

        Exchange<RequestMirror.Copy> x = h.run(request("GET", "/"));

        assertEquals(200, x.session().status());
        waitFor(() -> h.metrics().value("mirror_requests_total", "failed") == 1);
    }

    @Test
    void beyondMaxInFlightMirrorsAreDroppedAndCounted() throws Exception {
        slow = true;
        PhaseHarness<RequestMirror.Copy> h = mirror("max_in_flight", 2);
        for (int i = 0; i < 5; i++) {
            assertEquals(200, h.run(request("GET", "/r" + i)).session().status());
        }
        // Decided on the loop, at once: two hold the slots, three were dropped.
        assertEquals(3.0, h.metrics().value("mirror_requests_total", "dropped"));
        assertNotNull(received.poll(10, TimeUnit.SECONDS));
        assertNotNull(received.poll(10, TimeUnit.SECONDS));
        answer.countDown();
        waitFor(() -> h.metrics().value("mirror_requests_total", "sent") == 2);
        assertTrue(received.isEmpty());
    }

    @Test
    void aBodyWithinTheLimitIsMirroredWithTheRequest() throws Exception {
        PhaseHarness<RequestMirror.Copy> h = mirror("body_limit", "16");
        Exchange<RequestMirror.Copy> x = h.exchange(request("POST", "/orders").bodyLength(11));
        x.upstreamRequestFilter();
        assertEquals("hello world", x.requestBody("hello ", "world"));

        Received r = received.poll(10, TimeUnit.SECONDS);
        assertNotNull(r);
        assertEquals("POST /orders hello world", r.method() + " " + r.uri() + " " + r.body());
    }

    @Test
    void aBodyOverTheLimitOrWithoutALimitIsNotMirroredAndTheBodyGoesOnUntouched() {
        PhaseHarness<RequestMirror.Copy> limited = mirror("body_limit", "16");
        Exchange<RequestMirror.Copy> chunked = limited.exchange(request("POST", "/upload").bodyLength(-1));
        chunked.upstreamRequestFilter();
        assertEquals("0123456789abcdefXYZ", chunked.requestBody("0123456789", "abcdefXYZ"));
        assertEquals(1.0, limited.metrics().value("mirror_requests_total", "skipped"));

        PhaseHarness<RequestMirror.Copy> bodiless = mirror();
        Exchange<RequestMirror.Copy> x = bodiless.run(request("POST", "/orders").bodyLength(5));
        assertEquals(200, x.session().status());
        assertEquals(1.0, bodiless.metrics().value("mirror_requests_total", "skipped"));
        // Neither reached the sender: nothing in flight, nothing sent or dropped.
        for (PhaseHarness<RequestMirror.Copy> h : List.of(limited, bodiless)) {
            assertEquals(null, h.metrics().find("mirror_in_flight"));
            assertEquals(null, h.metrics().find("mirror_requests_total", "sent"));
        }
    }

    @Test
    void stopEndsTheMirrorThreads() throws Exception {
        PhaseHarness<RequestMirror.Copy> h = mirror();
        RequestMirror plugin = (RequestMirror) h.plugin();
        h.run(request("GET", "/"));
        assertNotNull(received.poll(10, TimeUnit.SECONDS));
        assertFalse(plugin.awaitStopped(Duration.ZERO));
        h.stop();
        assertTrue(plugin.awaitStopped(Duration.ofSeconds(10)));
    }

    @Test
    void badConfigIsRefusedWithKeyAndReason() {
        assertEquals("plugins.chain[0].config.target: required", refused(Map.of()).getMessage());
        assertEquals("plugins.chain[0].config.target: 'shadow:8080' is not an http:// or https:// origin (with a path prefix at most)",
                refused(Map.of("target", "shadow:8080")).getMessage());
        assertEquals("plugins.chain[0].config.max_in_flight: 0 is outside 1..100000",
                refused(Map.of("target", "http://shadow", "max_in_flight", 0)).getMessage());
        assertEquals("plugins.chain[0].config.body_limit: 1073741824 bytes is more than 16m: a mirror holds its body in memory",
                refused(Map.of("target", "http://shadow", "body_limit", "1g")).getMessage());
    }

    private static InvalidConfigException refused(Map<String, ?> config) {
        return assertThrows(InvalidConfigException.class, () -> PhaseHarness.start(new RequestMirror(), config));
    }

    /** Waits, up to 10 s, for something another thread does; a deadline, not a timed assertion. */
    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 10 s");
            }
            Thread.sleep(5);
        }
    }
}
