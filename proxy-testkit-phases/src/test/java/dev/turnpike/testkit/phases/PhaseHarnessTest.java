package dev.turnpike.testkit.phases;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.BodyChunk;
import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.HostPort;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.api.metrics.Counter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PhaseHarnessTest {

    /** A plugin with a bit of every phase: its context lists the phases it ran. */
    static final class Gate implements ProxyPlugin<List<String>> {
        String denyPath;
        Peer backend;
        Counter requests;
        boolean stopped;

        @Override
        public void start(PluginContext context) {
            denyPath = context.config().string("deny_path", null);
            String b = context.config().string("backend", null);
            backend = b == null ? null : Peer.parse(b);
            requests = context.metrics().counter("gate_requests_total", "Requests seen.", "status");
        }

        @Override
        public void stop() {
            stopped = true;
        }

        @Override
        public List<String> newContext(Session session) {
            return new ArrayList<>(List.of("new"));
        }

        @Override
        public Outcome requestFilter(Session session, List<String> ctx) {
            ctx.add("request_filter");
            if (session.request().path().equals(denyPath)) {
                return Outcome.respond(Response.status(403).header("X-Why", "denied").build());
            }
            session.request().headers().set("X-Seen", "1");
            return Outcome.proceed();
        }

        @Override
        public Outcome upstreamPeer(Session session, List<String> ctx) {
            ctx.add("upstream_peer");
            return backend == null ? Outcome.proceed() : Outcome.upstream(backend);
        }

        @Override
        public Outcome upstreamRequestFilter(Session session, List<String> ctx) {
            ctx.add("upstream_request_filter");
            session.upstreamRequest().headers().set("X-Backend", session.peer().address());
            return Outcome.proceed();
        }

        @Override
        public void connectedToUpstream(Session session, List<String> ctx, dev.turnpike.api.UpstreamConnection c) {
            ctx.add("connected_to_upstream " + c.peer().address());
        }

        @Override
        public Outcome responseFilter(Session session, List<String> ctx) {
            ctx.add("response_filter");
            session.response().headers().set("X-Filtered", "yes");
            return Outcome.proceed();
        }

        @Override
        public Response failToProxy(Session session, List<String> ctx, ProxyError error) {
            ctx.add("fail_to_proxy " + error.kind().label());
            return Response.status(error.status()).body(("{\"error\":\"" + error.kind().label() + "\"}").getBytes(StandardCharsets.UTF_8))
                    .header("Content-Type", "application/json").build();
        }

        @Override
        public void logging(Session session, List<String> ctx) {
            ctx.add("logging");
            requests.inc(Integer.toString(session.status()));
        }
    }

    private static PhaseHarness<List<String>> gate(Object... config) {
        return PhaseHarness.start(new Gate(), FakePluginContext.mapping(config));
    }

    @Test
    void runsTheWholePathInTheRuntimesOrder() {
        PhaseHarness<List<String>> h = gate("backend", "10.0.0.7:8080");
        Exchange<List<String>> x = h.run(FakeSession.get("/api").header("Host", "a"), 201, "Server", "b");
        assertEquals(List.of("new", "request_filter", "upstream_peer", "upstream_request_filter",
                "connected_to_upstream 10.0.0.7:8080", "response_filter", "logging"), x.context());
        FakeSession s = x.session();
        assertEquals("10.0.0.7:8080", s.peer().address());
        assertEquals("1", s.request().headers().get("X-Seen"));
        assertEquals("10.0.0.7:8080", s.upstreamRequest().headers().get("X-Backend"));
        assertFalse(s.request().headers().contains("X-Backend"), "the client's head is not the upstream one");
        assertEquals("1", s.upstreamRequest().headers().get("X-Seen"), "the upstream head starts from the client's");
        assertEquals("yes", s.response().headers().get("X-Filtered"));
        assertEquals(201, s.status());
        assertEquals(1, s.upstreamAttempts());
        assertEquals(1.0, h.metrics().value("gate_requests_total", "201"));
        assertNull(x.response(), "no plugin answered");
        assertTrue(x.logged());
    }

    @Test
    void aRespondEndsThePathAndIsWhatTheClientGets() {
        PhaseHarness<List<String>> h = gate("deny_path", "/admin", "backend", "10.0.0.7:8080");
        Exchange<List<String>> x = h.run(FakeSession.get("/admin"));
        assertEquals(List.of("new", "request_filter", "logging"), x.context());
        assertEquals(403, x.response().status());
        assertEquals(Outcome.Kind.RESPOND, x.lastOutcome().kind());
        assertEquals(403, x.session().status());
        assertEquals("test-plugin", x.session().respondedBy());
        assertEquals("denied", x.session().response().headers().get("x-why"));
        assertNull(x.session().peer());
        assertEquals(1.0, h.metrics().value("gate_requests_total", "403"));
    }

    @Test
    void noPeerFailsTheRequestThroughFailToProxy() {
        Exchange<List<String>> x = gate().run(FakeSession.get("/"));
        assertEquals(List.of("new", "request_filter", "upstream_peer", "fail_to_proxy no_peer", "logging"), x.context());
        assertEquals(ErrorKind.NO_PEER, x.session().error().kind());
        assertEquals(502, x.response().status());
        assertEquals("application/json", x.session().response().headers().get("Content-Type"));
        assertEquals(502, x.session().status());
    }

    @Test
    void aConnectRequestRunsOnlyRequestFilterAndLogging() {
        Exchange<List<String>> x = gate("backend", "10.0.0.7:8080").run(FakeSession.request("CONNECT", "example.com:443")
                .forwardTarget(new HostPort("example.com", 443)));
        assertEquals(List.of("new", "request_filter", "logging"), x.context());
        Exchange<List<String>> absolute = gate().run(FakeSession.get("http://example.com/x").forwardTarget(new HostPort("example.com", 80)));
        assertEquals("example.com:80", absolute.session().peer().address(), "the origin the target names");
        assertFalse(absolute.context().contains("upstream_peer"));
    }

    @Test
    void phasesRunSinglyAndEditsFollowThePhaseRules() {
        Exchange<List<String>> x = gate("backend", "10.0.0.7:8080").exchange(FakeSession.get("/"));
        assertThrows(IllegalStateException.class, x::upstreamRequestFilter, "no peer chosen yet");
        assertEquals(Outcome.Kind.UPSTREAM, x.upstreamPeer().kind());
        x.upstreamRequestFilter();
        assertThrows(IllegalStateException.class, x::responseFilter, "no backend answered");
        x.backendResponds(500);
        x.responseFilter();
        assertThrows(IllegalStateException.class, () -> x.session().response().headers().add("X", "late"));
        x.logging();
        assertThrows(IllegalStateException.class, x::logging, "logging runs once");
        assertEquals(3, x.calls().size());
        assertEquals(Phase.UPSTREAM_PEER, x.calls().get(0).phase());
    }

    @Test
    void aRefusedConfigIsTheRuntimesRefusal() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> gate("backend", "10.0.0.7:8080", "bakend", "x"));
        assertEquals("plugins.chain[0].config.bakend", e.key());
        assertEquals("unknown key bakend (did you mean backend?)", e.reason());
    }

    @Test
    void stopStopsThePluginOnceAndEndsTheExchanges() {
        PhaseHarness<List<String>> h = gate();
        Gate g = (Gate) h.plugin();
        h.stop();
        h.stop();
        assertTrue(g.stopped);
        assertThrows(IllegalStateException.class, () -> h.exchange(FakeSession.get("/")));
    }

    // ---- outcomes the runtime refuses ----

    /** A plugin whose request_filter returns what the test says. */
    private static PhaseHarness<Void> returning(java.util.function.Function<Session, Outcome> filter) {
        return PhaseHarness.start(new ProxyPlugin<Void>() {
            @Override
            public Outcome requestFilter(Session session, Void ctx) {
                return filter.apply(session);
            }
        }, Map.of());
    }

    @Test
    void anOutcomeThePhaseDoesNotAllowFailsAsTheRuntimeWould() {
        AssertionError e = assertThrows(AssertionError.class,
                () -> returning(s -> Outcome.upstream(Peer.of("h", 1))).exchange(FakeSession.get("/")).requestFilter());
        assertTrue(e.getMessage().contains("request_filter does not allow"), e.getMessage());
        assertThrows(AssertionError.class, () -> returning(s -> Outcome.reject("no")).exchange(FakeSession.get("/")).requestFilter());
        AssertionError nul = assertThrows(AssertionError.class, () -> returning(s -> null).exchange(FakeSession.get("/")).requestFilter());
        assertTrue(nul.getMessage().contains("returned null"), nul.getMessage());
    }

    @Test
    void aPluginsExceptionReachesTheTestAndLoggingStillRuns() {
        List<String> logged = new ArrayList<>();
        PhaseHarness<Void> h = PhaseHarness.start(new ProxyPlugin<Void>() {
            @Override
            public Outcome requestFilter(Session session, Void ctx) {
                throw new IllegalStateException("bug");
            }

            @Override
            public void logging(Session session, Void ctx) {
                logged.add("logging");
            }
        }, Map.of());
        assertEquals("bug", assertThrows(IllegalStateException.class, () -> h.run(FakeSession.get("/"))).getMessage());
        assertEquals(List.of("logging"), logged);
    }

    // ---- later ----

    @Test
    void aStageCompletedByATimerOnTheLoopIsDrivenInVirtualTime() {
        PhaseHarness<Void> h = returning(s -> {
            java.util.concurrent.CompletableFuture<Outcome> f = new java.util.concurrent.CompletableFuture<>();
            s.executor().schedule(() -> f.complete(Outcome.respond(Response.status(503).build())), 2, java.util.concurrent.TimeUnit.SECONDS);
            return Outcome.later(f);
        });
        Exchange<Void> x = h.exchange(FakeSession.get("/"));
        assertEquals(503, x.requestFilter().response().status());
        assertEquals(Outcome.Kind.LATER, x.calls().get(0).returned().kind());
        assertEquals(2_000_000_000L, h.loop().nanoTime(), "the clock moved to the timer, not further");
        assertEquals(503, x.session().status());
    }

    @Test
    void aStageCompletedByAnotherThreadIsWaitedFor() {
        PhaseHarness<Void> h = returning(s -> Outcome.later(java.util.concurrent.CompletableFuture.supplyAsync(Outcome::proceed)));
        assertEquals(Outcome.Kind.PROCEED, h.exchange(FakeSession.get("/")).requestFilter().kind());
    }

    @Test
    void aStageThatNeverCompletesFailsAfterThePhaseTimeout() {
        PhaseHarness<Void> h = returning(s -> {
            java.util.concurrent.CompletableFuture<Outcome> f = new java.util.concurrent.CompletableFuture<>();
            s.executor().schedule(() -> f.complete(Outcome.proceed()), 11, java.util.concurrent.TimeUnit.SECONDS);
            return Outcome.later(f);
        });
        AssertionError e = assertThrows(AssertionError.class, () -> h.exchange(FakeSession.get("/")).requestFilter());
        assertTrue(e.getMessage().contains("still pending after plugins.phase_timeout"), e.getMessage());
        PhaseHarness<Void> shortTimeout = returning(s -> Outcome.later(new java.util.concurrent.CompletableFuture<>()))
                .phaseTimeout(java.time.Duration.ofMillis(20));
        assertThrows(AssertionError.class, () -> shortTimeout.exchange(FakeSession.get("/")).requestFilter(),
                "nothing queued and no thread: waited in real time up to the timeout");
    }

    @Test
    void aStageThatFailsOrAnswersLaterAgainFails() {
        AssertionError failed = assertThrows(AssertionError.class, () -> returning(
                s -> Outcome.later(java.util.concurrent.CompletableFuture.failedFuture(new RuntimeException("lookup down"))))
                .exchange(FakeSession.get("/")).requestFilter());
        assertEquals("lookup down", failed.getCause().getMessage());
        assertThrows(AssertionError.class, () -> returning(
                s -> Outcome.later(java.util.concurrent.CompletableFuture.completedFuture(
                        Outcome.later(new java.util.concurrent.CompletableFuture<>()))))
                .exchange(FakeSession.get("/")).requestFilter());
        assertThrows(AssertionError.class, () -> returning(
                s -> Outcome.later(java.util.concurrent.CompletableFuture.completedFuture(null)))
                .exchange(FakeSession.get("/")).requestFilter());
    }

    // ---- bodies and failures ----

    /** Upper-cases bodies; refuses a request body holding "evil"; asks for one retry. */
    static final class Shouter implements ProxyPlugin<Void> {
        final List<Integer> attempts = new ArrayList<>();

        @Override
        public Outcome requestBodyFilter(Session session, Void ctx, BodyChunk chunk) {
            String text = chunk.text(StandardCharsets.UTF_8);
            if (text.contains("evil")) {
                return Outcome.respond(Response.status(403).build());
            }
            chunk.replace(text.toUpperCase(), StandardCharsets.UTF_8);
            return Outcome.proceed();
        }

        @Override
        public Outcome responseBodyFilter(Session session, Void ctx, BodyChunk chunk) {
            chunk.replace(chunk.text(StandardCharsets.UTF_8).toUpperCase() + (chunk.last() ? "!" : ""), StandardCharsets.UTF_8);
            return Outcome.proceed();
        }

        @Override
        public boolean failToConnect(Session session, Void ctx, UpstreamFailure failure) {
            attempts.add(failure.attempt());
            return failure.attempt() < 2;
        }

        @Override
        public boolean errorWhileProxying(Session session, Void ctx, UpstreamFailure failure) {
            return failure.retryable();
        }
    }

    @Test
    void bodyPhasesSeeEachChunkAndTheTestSeesWhatCameOut() {
        PhaseHarness<Void> h = PhaseHarness.start(new Shouter(), Map.of());
        Exchange<Void> x = h.exchange(FakeSession.request("POST", "/").bodyLength(-1));
        assertEquals("HELLO WORLD", x.requestBody("hello ", "world"));
        assertEquals(11, x.session().requestBodyBytes());
        assertEquals("ABC!", x.responseBody("a", "bc"));
        assertEquals(4, x.session().responseBodyBytes());
        Exchange<Void> refused = h.exchange(FakeSession.request("POST", "/").bodyLength(-1));
        assertEquals("FINE ", refused.requestBody("fine ", "evil", "never"));
        assertEquals(403, refused.response().status());
        assertEquals(403, refused.session().status());
    }

    @Test
    void failureHooksGetTheFailureAsTheRuntimeJudgesIt() {
        Shouter plugin = new Shouter();
        PhaseHarness<Void> h = PhaseHarness.start(plugin, Map.of());
        Exchange<Void> x = h.exchange(FakeSession.get("/").peer(Peer.of("10.0.0.1", 80)));
        x.upstreamRequestFilter();
        assertTrue(x.failToConnect(ErrorKind.CONNECT_REFUSED), "first attempt: retry");
        x.upstreamRequestFilter();
        assertFalse(x.failToConnect(ErrorKind.CONNECT_TIMEOUT));
        assertEquals(List.of(1, 2), plugin.attempts);
        assertThrows(IllegalStateException.class, () -> h.exchange(FakeSession.get("/")).failToConnect(ErrorKind.TLS), "no peer");
        Exchange<Void> get = h.exchange(FakeSession.get("/").peer(Peer.of("10.0.0.1", 80)));
        assertTrue(get.errorWhileProxying(ErrorKind.UPSTREAM_RESET), "GET is idempotent");
        Exchange<Void> post = h.exchange(FakeSession.request("POST", "/").peer(Peer.of("10.0.0.1", 80)));
        assertFalse(post.errorWhileProxying(ErrorKind.UPSTREAM_RESET), "POST is not idempotent");
    }

    @Test
    void withoutAPageFailToProxyLeavesTheRuntimesStatus() {
        Exchange<Void> x = PhaseHarness.start(new Shouter(), Map.of()).exchange(FakeSession.get("/"));
        assertNull(x.failToProxy(ProxyError.of(ErrorKind.UPSTREAM_TIMEOUT, "slow", null)));
        assertEquals(504, x.session().status());
        assertNull(x.response());
        assertSame(ErrorKind.UPSTREAM_TIMEOUT, x.session().error().kind());
    }
}
