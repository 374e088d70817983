package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;
import dev.turnpike.testing.TestBackend;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The phase contract: order, thread, context, short-circuits, async phases and failures. */
class PhaseContractTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    static TestBackend backend;
    static HttpClient http;

    @BeforeAll
    static void start() {
        backend = new TestBackend("b");
        backend.start();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    static HttpResponse<String> get(InJvmProxy proxy, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(proxy.uri(path)).timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Records every call: phase, thread, context identity. */
    static final class Recorder implements ProxyPlugin<List<String>> {
        final ConcurrentLinkedQueue<List<String>> finished = new ConcurrentLinkedQueue<>();
        final Response answer;

        Recorder(Response answer) {
            this.answer = answer;
        }

        @Override
        public List<String> newContext(Session session) {
            List<String> calls = new ArrayList<>();
            calls.add("new_context@" + Thread.currentThread().getName());
            return calls;
        }

        private Outcome record(String phase, Session s, List<String> ctx) {
            ctx.add(phase + "@" + Thread.currentThread().getName() + "#" + s.executor().inEventLoop());
            return Outcome.proceed();
        }

        @Override
        public Outcome requestFilter(Session s, List<String> ctx) {
            record("request_filter", s, ctx);
            return answer == null ? Outcome.proceed() : Outcome.respond(answer);
        }

        @Override
        public Outcome upstreamPeer(Session s, List<String> ctx) {
            return record("upstream_peer", s, ctx);
        }

        @Override
        public Outcome upstreamRequestFilter(Session s, List<String> ctx) {
            assertNotNull(s.peer());
            return record("upstream_request_filter", s, ctx);
        }

        @Override
        public Outcome responseFilter(Session s, List<String> ctx) {
            s.response().headers().set("X-Filtered", "yes");
            return record("response_filter", s, ctx);
        }

        @Override
        public void logging(Session s, List<String> ctx) {
            record("logging", s, ctx);
            ctx.add("status=" + s.status() + " error=" + (s.error() == null ? "none" : s.error().getClass().getSimpleName())
                    + " by=" + s.respondedBy());
            finished.add(ctx);
        }
    }

    private static List<String> phasesOf(List<String> calls) {
        List<String> names = new ArrayList<>();
        for (String c : calls) {
            if (c.contains("@")) {
                names.add(c.substring(0, c.indexOf('@')));
            }
        }
        return names;
    }

    private static List<String> await(ConcurrentLinkedQueue<List<String>> q) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (q.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        List<String> l = q.poll();
        assertNotNull(l, "logging did not run");
        return l;
    }

    @Test
    void everyPhaseRunsOnceInOrderOnTheEventLoopWithOneContext() throws Exception {
        Recorder rec = new Recorder(null);
        try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("rec", rec).plugin("route", new Route(backend.port())).start()) {
            HttpResponse<String> r = get(proxy, "/name");
            assertEquals(200, r.statusCode());
            assertEquals("yes", r.headers().firstValue("X-Filtered").orElse(null), "response_filter edits reach the client");
            List<String> calls = await(rec.finished);
            assertEquals(List.of("new_context", "request_filter", "upstream_peer", "upstream_request_filter",
                    "response_filter", "logging"), phasesOf(calls));
            String loopThread = calls.get(0).substring(calls.get(0).indexOf('@') + 1);
            assertTrue(loopThread.startsWith("turnpike-loop"), loopThread);
            for (String c : calls) {
                if (c.contains("@") && c.contains("#")) {
                    assertTrue(c.endsWith(loopThread + "#true"), "same loop thread for every phase: " + calls);
                }
            }
            assertTrue(calls.get(calls.size() - 1).startsWith("status=200 error=none"), calls.toString());
        }
    }

    @Test
    void shortCircuitAnswersWithoutTheBackendAndStillLogs() throws Exception {
        Recorder rec = new Recorder(Response.status(429).header("Retry-After", "1").body("slow down").build());
        int before = backend.requestsServed();
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("limiter", rec).plugin("route", new Route(backend.port())).start()) {
            HttpResponse<String> r = get(proxy, "/name");
            assertEquals(429, r.statusCode());
            assertEquals("slow down", r.body());
            assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
            List<String> calls = await(rec.finished);
            assertEquals(List.of("new_context", "request_filter", "logging"), phasesOf(calls));
            assertTrue(calls.get(calls.size() - 1).contains("status=429") && calls.get(calls.size() - 1).contains("by=limiter"), calls.toString());
        }
        assertEquals(before, backend.requestsServed(), "the backend must not see a short-circuited request");
    }

    @Test
    void loggingRunsAfterAnUpstreamError() throws Exception {
        Recorder rec = new Recorder(null);
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("rec", rec).plugin("route", new Route(closedPort)).start()) {
            assertEquals(502, get(proxy, "/name").statusCode());
            List<String> calls = await(rec.finished);
            assertEquals(List.of("new_context", "request_filter", "upstream_peer", "upstream_request_filter", "logging"), phasesOf(calls));
            assertTrue(calls.get(calls.size() - 1).startsWith("status=502 error="), calls.toString());
            assertTrue(!calls.get(calls.size() - 1).contains("error=none"), calls.toString());
        }
    }

    /**
     * request_filter that parks /slow requests on a stage the test completes, and lets everything
     * else through at once.
     */
    static final class ParkSlow implements ProxyPlugin<Void> {
        final java.util.concurrent.LinkedBlockingQueue<CompletableFuture<Outcome>> parked = new java.util.concurrent.LinkedBlockingQueue<>();

        @Override
        public Outcome requestFilter(Session s, Void ctx) {
            if (!s.request().path().equals("/slow")) {
                return Outcome.proceed();
            }
            CompletableFuture<Outcome> later = new CompletableFuture<>();
            // The stage completes 50 ms after the test releases it, from the loop's own timer.
            parked.add(later);
            return Outcome.later(later);
        }
    }

    @Test
    void anAsyncPhaseDoesNotDelayOtherRequestsOnTheSameLoop() throws Exception {
        ParkSlow park = new ParkSlow();
        try (InJvmProxy proxy = InJvmProxy.builder().workers(1)
                .plugin("slow", park).plugin("route", new Route(backend.port())).start()) {
            CompletableFuture<HttpResponse<String>> slow = http.sendAsync(
                    HttpRequest.newBuilder(proxy.uri("/slow")).timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
            CompletableFuture<Outcome> stage = park.parked.poll(10, TimeUnit.SECONDS);
            assertNotNull(stage, "the slow request reached its async phase");
            // The only event loop now holds a parked request: other requests must still go through.
            for (int i = 0; i < 5; i++) {
                assertEquals(200, get(proxy, "/name").statusCode());
            }
            assertTrue(!slow.isDone(), "the slow request is still waiting on its stage");
            CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS).execute(() -> stage.complete(Outcome.proceed()));
            HttpResponse<String> r = slow.get(10, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), "it resumes once the stage completes");
            assertEquals("b", r.body());
        }
    }

    static final class Thrower implements ProxyPlugin<Void> {
        @Override
        public Outcome requestFilter(Session s, Void ctx) {
            if (s.request().path().equals("/boom")) {
                throw new IllegalStateException("kaboom");
            }
            if (s.request().path().equals("/null")) {
                return null;
            }
            if (s.request().path().equals("/wrong")) {
                return Outcome.upstream(dev.turnpike.api.Peer.of("127.0.0.1", 1));
            }
            if (s.request().path().equals("/failed-stage")) {
                return Outcome.later(CompletableFuture.failedFuture(new IllegalArgumentException("async kaboom")));
            }
            return Outcome.proceed();
        }
    }

    @Test
    void aThrowingPluginFailsOnlyItsRequestWith500AndIsCounted() throws Exception {
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("thrower", new Thrower()).plugin("route", new Route(backend.port())).start()) {
            for (String path : new String[] {"/boom", "/null", "/wrong", "/failed-stage"}) {
                assertEquals(500, get(proxy, path).statusCode(), path);
                HttpResponse<String> next = get(proxy, "/name");
                assertEquals(200, next.statusCode(), "the next request after " + path + " succeeds");
                assertEquals("b", next.body());
            }
            assertEquals(4.0, proxy.metrics().pluginFailures("thrower", "request_filter"));
        }
    }

    @Test
    void noPeerChosenIs502() throws Exception {
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("nothing", new ProxyPlugin<Void>() { }).start()) {
            assertEquals(502, get(proxy, "/name").statusCode());
        }
    }

    @Test
    void asyncUpstreamPeerCompletedFromAnotherThreadResumesOnTheLoop() throws Exception {
        List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
        ProxyPlugin<Void> asyncRoute = new ProxyPlugin<>() {
            @Override
            public Outcome upstreamPeer(Session s, Void ctx) {
                return Outcome.later(CompletableFuture.supplyAsync(
                        () -> Outcome.upstream(dev.turnpike.api.Peer.of("127.0.0.1", backend.port()))));
            }

            @Override
            public Outcome upstreamRequestFilter(Session s, Void ctx) {
                threads.add(Thread.currentThread().getName());
                return Outcome.proceed();
            }
        };
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("async", asyncRoute).start()) {
            assertEquals(200, get(proxy, "/name").statusCode());
            assertEquals(1, threads.size());
            assertTrue(threads.get(0).startsWith("turnpike-loop"), threads.toString());
        }
    }

    @Test
    void sessionViewsShowTheRequest() throws Exception {
        List<Object> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        ProxyPlugin<Void> inspector = new ProxyPlugin<>() {
            @Override
            public Outcome requestFilter(Session s, Void ctx) {
                seen.add(s.request().method());
                seen.add(s.request().path());
                seen.add(s.request().query());
                seen.add(s.request().version());
                seen.add(s.clientAddress().getAddress().getHostAddress());
                seen.add(s.requestId());
                assertSame(s.requestId(), s.requestId());
                assertNull(s.response());
                s.request().headers().set("X-Added", "by-plugin");
                return Outcome.proceed();
            }
        };
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("inspect", inspector).plugin("route", new Route(backend.port())).start()) {
            assertEquals(200, get(proxy, "/echo?a=1").statusCode());
            assertEquals(List.of("GET", "/echo", "a=1", "HTTP/1.1", "127.0.0.1"), seen.subList(0, 5));
            assertTrue(((String) seen.get(5)).length() > 4);
            assertEquals(List.of("by-plugin"), backend.lastRequestHeaders().get("X-Added"));
        }
    }
}
