package dev.turnpike.plugins.loadbalancer;

import static dev.turnpike.plugins.loadbalancer.LbTestSupport.changes;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.context;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.defaultGroup;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.map;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.pickAddress;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.req;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.requestTo;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.started;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.up;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.api.health.HealthProbes;
import dev.turnpike.api.health.HttpProbe;
import dev.turnpike.api.health.ProbeResult;
import dev.turnpike.plugins.loadbalancer.health.ActiveChecker;
import dev.turnpike.plugins.loadbalancer.health.BackendHealth;
import dev.turnpike.plugins.loadbalancer.health.HealthCheckSettings;
import dev.turnpike.plugins.loadbalancer.health.StatusRanges;
import dev.turnpike.testkit.phases.FakeEventLoop;
import dev.turnpike.testkit.phases.FakeHealthProbes;
import dev.turnpike.testkit.phases.FakeMetrics;
import dev.turnpike.testkit.phases.FakePluginContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Active health checks, run by hand: the fake loop runs the scheduled ticks when told, and the fake
 * probes complete when told. Nothing sleeps.
 */
class ActiveCheckTest {

    private static final List<String> ADDRESSES = List.of("a:1", "b:2", "c:3");
    private static final HealthCheckSettings TCP = new HealthCheckSettings(null, Duration.ofSeconds(2),
            Duration.ofSeconds(1), 2, 3, StatusRanges.NONE, true);

    /** An ActiveChecker over three fresh backends, with its loop and probes. */
    private static final class Rig {
        final FakeEventLoop loop = new FakeEventLoop();
        final FakeHealthProbes probes = new FakeHealthProbes();
        final FakeMetrics metrics = new FakeMetrics();
        final List<String> events = new ArrayList<>();
        final List<BackendHealth> health = new ArrayList<>();
        final ActiveChecker checker;

        Rig(HealthCheckSettings settings, boolean initiallyUp) {
            List<ActiveChecker.Target> targets = new ArrayList<>();
            for (String a : ADDRESSES) {
                BackendHealth h = new BackendHealth("g", a, initiallyUp);
                health.add(h);
                targets.add(new ActiveChecker.Target(Peer.parse(a), h));
            }
            checker = new ActiveChecker("g", targets, settings, probes, loop,
                    (b, up, why) -> events.add((up ? "UP " : "DOWN ") + b.address()),
                    metrics.counter("lb_health_checks_total", "", "group", "backend", "result"));
        }

        BackendHealth h(String address) {
            return health.get(ADDRESSES.indexOf(address));
        }

        /** Runs the ticks due and completes the probes they started: {@code results} per address. */
        void round(Map<String, ProbeResult> results) {
            int before = probes.calls().size();
            loop.runPending();
            List<FakeHealthProbes.Call> started = new ArrayList<>(probes.calls().subList(before, probes.calls().size()));
            for (FakeHealthProbes.Call c : started) {
                ProbeResult r = results.get(c.peer().address());
                if (r != null) {
                    c.complete(r);
                }
            }
        }

        double checks(String address, String result) {
            Double v = metrics.value("lb_health_checks_total", "g", address, result);
            return v == null ? 0 : v;
        }
    }

    private static Map<String, ProbeResult> allConnected() {
        return Map.of("a:1", FakeHealthProbes.connected(), "b:2", FakeHealthProbes.connected(), "c:3", FakeHealthProbes.connected());
    }

    /** a:1 gets {@code forA}; the others connect. */
    private static Map<String, ProbeResult> aGets(ProbeResult forA) {
        return Map.of("a:1", forA, "b:2", FakeHealthProbes.connected(), "c:3", FakeHealthProbes.connected());
    }

    // ------------------------------------------------------------------ ActiveChecker on its own

    @Test
    void startSchedulesOneTickPerBackendWithinTheFirstInterval() {
        Rig rig = new Rig(TCP, true);
        rig.checker.start();
        List<FakeEventLoop.Task> pending = rig.loop.pending();
        assertEquals(3, pending.size());
        for (FakeEventLoop.Task t : pending) {
            assertTrue(t.delay().toMillis() >= 0 && t.delay().toMillis() < 2000, "first check within the interval: " + t.delay().toMillis());
        }
        assertEquals(0, rig.probes.calls().size(), "nothing probed before the tick runs");

        rig.loop.runPending();
        assertEquals(3, rig.probes.calls().size());
        Set<String> probed = new HashSet<>();
        for (FakeHealthProbes.Call c : rig.probes.calls()) {
            probed.add(c.peer().address());
            assertNull(c.http(), "a TCP check");
            assertEquals(Duration.ofSeconds(1), c.timeout());
        }
        assertEquals(Set.copyOf(ADDRESSES), probed);
        List<FakeEventLoop.Task> next = rig.loop.pending();
        assertEquals(3, next.size(), "each tick schedules the next");
        for (FakeEventLoop.Task t : next) {
            assertEquals(2000, t.delay().toMillis());
        }
    }

    @Test
    void threeFailuresTakeABackendDownAndTwoSuccessesBringItUp() {
        Rig rig = new Rig(TCP, true);
        rig.checker.start();
        rig.round(aGets(FakeHealthProbes.refused()));
        rig.round(aGets(FakeHealthProbes.refused()));
        assertTrue(rig.h("a:1").up(), "two failures of three");
        rig.round(aGets(FakeHealthProbes.refused()));
        assertFalse(rig.h("a:1").up());
        assertTrue(rig.h("a:1").reason().contains("connection refused"), rig.h("a:1").reason());
        assertEquals(List.of("DOWN a:1"), rig.events);
        assertTrue(rig.h("b:2").up());
        assertTrue(rig.h("c:3").up());

        rig.round(allConnected());
        assertFalse(rig.h("a:1").up(), "one success of two");
        rig.round(allConnected());
        assertTrue(rig.h("a:1").up());
        assertEquals(List.of("DOWN a:1", "UP a:1"), rig.events);
        assertEquals(3.0, rig.checks("a:1", "failed"));
        assertEquals(2.0, rig.checks("a:1", "ok"));
        assertEquals(5.0, rig.checks("b:2", "ok"));
    }

    @Test
    void resultsMustComeInARow() {
        Rig rig = new Rig(TCP, true);
        rig.checker.start();
        for (int i = 0; i < 4; i++) {
            rig.round(aGets(FakeHealthProbes.refused()));
            rig.round(aGets(FakeHealthProbes.refused()));
            rig.round(allConnected());
        }
        assertTrue(rig.h("a:1").up(), "never three failures in a row");
        for (int i = 0; i < 3; i++) {
            rig.round(aGets(FakeHealthProbes.refused()));
        }
        assertFalse(rig.h("a:1").up());
        for (int i = 0; i < 4; i++) {
            rig.round(allConnected());
            rig.round(aGets(FakeHealthProbes.refused()));
        }
        assertFalse(rig.h("a:1").up(), "never two successes in a row");
        assertEquals(List.of("DOWN a:1"), rig.events);
    }

    @Test
    void aHangingProbeMakesTheNextTickANoOpForThatBackendOnly() {
        Rig rig = new Rig(TCP, true);
        rig.checker.start();
        // a:1 accepts and hangs: its probe does not complete.
        rig.round(Map.of("b:2", FakeHealthProbes.connected(), "c:3", FakeHealthProbes.connected()));
        rig.round(Map.of("b:2", FakeHealthProbes.connected(), "c:3", FakeHealthProbes.connected()));
        rig.round(Map.of("b:2", FakeHealthProbes.connected(), "c:3", FakeHealthProbes.connected()));
        assertEquals(1, rig.probes.of("a:1").size(), "no second probe while the first is open");
        assertEquals(3, rig.probes.of("b:2").size(), "the others are still probed");
        assertEquals(3, rig.probes.of("c:3").size());
        assertEquals(3, rig.loop.pending().size(), "a:1 keeps its schedule");

        // Its probe ends (by its timeout): the next tick probes it again.
        rig.probes.of("a:1").get(0).complete(new ProbeResult(0, Duration.ofSeconds(1), "timed out after 1s"));
        rig.round(allConnected());
        assertEquals(2, rig.probes.of("a:1").size());
        assertEquals(1.0, rig.checks("a:1", "failed"));
        assertEquals(1.0, rig.checks("a:1", "ok"));
    }

    @Test
    void stopCancelsTheTicksAndDropsLateResults() {
        Rig rig = new Rig(TCP, true);
        rig.checker.start();
        rig.round(aGets(FakeHealthProbes.refused()));
        rig.round(aGets(FakeHealthProbes.refused()));
        rig.loop.runPending(); // the third probes start...
        List<FakeEventLoop.Task> scheduled = rig.loop.pending();
        assertEquals(3, scheduled.size());

        rig.checker.stop();
        for (FakeEventLoop.Task t : scheduled) {
            assertTrue(t.isCancelled(), "stop cancels every scheduled tick");
        }
        assertEquals(List.of(), rig.loop.pending());

        // ...and their results arrive after stop: ignored.
        assertEquals(3, rig.probes.completeAll(FakeHealthProbes.refused()));
        assertTrue(rig.h("a:1").up(), "a result after stop changes nothing");
        assertEquals(List.of(), rig.events);
        assertEquals(2.0, rig.checks("a:1", "failed"));

        // A tick that ran anyway (cancelled too late) probes nothing and schedules nothing.
        int probesBefore = rig.probes.calls().size();
        scheduled.get(0).runnable().run();
        assertEquals(probesBefore, rig.probes.calls().size());
        assertEquals(List.of(), rig.loop.pending());
    }

    @Test
    void initiallyDownBackendsComeUpAfterRiseSuccesses() {
        Rig rig = new Rig(TCP, false);
        for (BackendHealth h : rig.health) {
            assertFalse(h.up());
        }
        rig.checker.start();
        rig.round(aGets(FakeHealthProbes.connected()));
        assertFalse(rig.h("a:1").up());
        rig.round(Map.of("a:1", FakeHealthProbes.connected(), "b:2", FakeHealthProbes.refused(), "c:3", FakeHealthProbes.connected()));
        assertTrue(rig.h("a:1").up());
        assertFalse(rig.h("b:2").up());
        assertTrue(rig.h("c:3").up());
        assertEquals(Set.of("UP a:1", "UP c:3"), Set.copyOf(rig.events));
    }

    @Test
    void httpCheckJudgesTheStatus() {
        HttpProbe probe = new HttpProbe("HEAD", "/healthz", "svc.local", Duration.ofMillis(500));
        HealthCheckSettings http = new HealthCheckSettings(probe, Duration.ofSeconds(1), Duration.ofMillis(500), 2, 3,
                StatusRanges.of(200, 399), true);
        Rig rig = new Rig(http, true);
        rig.checker.start();
        rig.round(Map.of("a:1", FakeHealthProbes.status(500), "b:2", FakeHealthProbes.status(200), "c:3", FakeHealthProbes.status(301)));
        for (FakeHealthProbes.Call c : rig.probes.calls()) {
            assertSame(probe, c.http(), "the configured request is sent");
        }
        rig.round(Map.of("a:1", FakeHealthProbes.status(404), "b:2", FakeHealthProbes.status(204), "c:3", FakeHealthProbes.status(399)));
        rig.round(Map.of("a:1", new ProbeResult(0, Duration.ofMillis(500), "timed out"), "b:2", FakeHealthProbes.status(200),
                "c:3", FakeHealthProbes.status(200)));
        assertFalse(rig.h("a:1").up(), "500, 404 and a timeout are three failures");
        assertTrue(rig.h("b:2").up());
        assertTrue(rig.h("c:3").up());
        assertTrue(rig.h("a:1").reason().contains("timed out"), rig.h("a:1").reason());
        rig.round(Map.of("a:1", FakeHealthProbes.status(200), "b:2", FakeHealthProbes.status(200), "c:3", FakeHealthProbes.status(200)));
        rig.round(Map.of("a:1", FakeHealthProbes.status(302), "b:2", FakeHealthProbes.status(200), "c:3", FakeHealthProbes.status(200)));
        assertTrue(rig.h("a:1").up());
    }

    @Test
    void aProbeThatCannotStartOrCompletesExceptionallyIsAFailure() {
        AtomicInteger calls = new AtomicInteger();
        List<CompletableFuture<ProbeResult>> stages = new ArrayList<>();
        HealthProbes odd = new HealthProbes() {
            @Override
            public CompletionStage<ProbeResult> tcp(Peer peer, Duration timeout) {
                if (!peer.address().equals("a:1")) {
                    return CompletableFuture.completedFuture(FakeHealthProbes.connected());
                }
                if (calls.incrementAndGet() % 2 == 1) {
                    throw new IllegalStateException("no event loop");
                }
                CompletableFuture<ProbeResult> f = new CompletableFuture<>();
                stages.add(f);
                return f;
            }

            @Override
            public CompletionStage<ProbeResult> http(Peer peer, HttpProbe probe) {
                throw new AssertionError("a TCP check");
            }
        };
        FakeEventLoop loop = new FakeEventLoop();
        BackendHealth a = new BackendHealth("g", "a:1", true);
        List<String> events = new ArrayList<>();
        ActiveChecker checker = new ActiveChecker("g", List.of(new ActiveChecker.Target(Peer.parse("a:1"), a),
                new ActiveChecker.Target(Peer.parse("b:2"), new BackendHealth("g", "b:2", true))), TCP, odd, loop,
                (b, up, why) -> events.add((up ? "UP " : "DOWN ") + b.address()),
                new FakeMetrics().counter("lb_health_checks_total", "", "group", "backend", "result"));
        checker.start();
        loop.runPending(); // throws: failure 1, and the backend is not left "in flight"
        loop.runPending(); // a stage
        assertEquals(1, stages.size());
        stages.get(0).completeExceptionally(new RuntimeException("boom")); // failure 2
        loop.runPending(); // throws again: failure 3
        assertEquals(3, calls.get(), "every tick probed: a failed start does not block the next");
        assertFalse(a.up());
        assertEquals(List.of("DOWN a:1"), events);
    }

    @Test
    void aNewCheckerTakesOverAndTheOldOnesResultsAreIgnored() {
        Rig rig = new Rig(TCP, true);
        rig.checker.start();
        rig.loop.runPending(); // the old checker's probes are out

        FakeEventLoop loop2 = new FakeEventLoop();
        FakeHealthProbes probes2 = new FakeHealthProbes();
        List<ActiveChecker.Target> targets = new ArrayList<>();
        for (String addr : ADDRESSES) {
            targets.add(new ActiveChecker.Target(Peer.parse(addr), rig.h(addr)));
        }
        ActiveChecker newer = new ActiveChecker("g", targets, TCP, probes2, loop2, (b, up, why) -> { },
                new FakeMetrics().counter("lb_health_checks_total", "", "group", "backend", "result"));
        newer.start();

        for (int i = 0; i < 5; i++) {
            rig.probes.completeAll(FakeHealthProbes.refused());
            rig.loop.runPending();
        }
        assertTrue(rig.h("a:1").up(), "the old checker no longer decides");

        for (int i = 0; i < 3; i++) {
            loop2.runPending();
            probes2.completeAll(FakeHealthProbes.refused());
        }
        assertFalse(rig.h("a:1").up(), "the new checker does");
        rig.checker.stop();
        newer.stop();
    }

    @Test
    void aNewCheckerThatIsStoppedAtOnceHandsTheChecksBack() {
        // A reload whose config is refused after the new instance started: its checker stops, and the
        // checker of the instance still serving must decide again.
        Rig rig = new Rig(TCP, true);
        rig.checker.start();
        rig.loop.runPending();

        List<ActiveChecker.Target> targets = new ArrayList<>();
        for (String addr : ADDRESSES) {
            targets.add(new ActiveChecker.Target(Peer.parse(addr), rig.h(addr)));
        }
        ActiveChecker refused = new ActiveChecker("g", targets, TCP, new FakeHealthProbes(), new FakeEventLoop(), (b, up, why) -> { },
                new FakeMetrics().counter("lb_health_checks_total", "", "group", "backend", "result"));
        refused.start();
        refused.stop();

        for (int i = 0; i < 3; i++) {
            rig.probes.completeAll(FakeHealthProbes.refused());
            rig.loop.runPending();
        }
        assertFalse(rig.h("a:1").up(), "the serving instance's checks count again");
        rig.checker.stop();
    }

    // ------------------------------------------------------------------ through the plugin

    private static Map<String, Object> checked(Object... extra) {
        Map<String, Object> m = map(extra);
        m.putIfAbsent("backends", ADDRESSES);
        m.putIfAbsent("health_check", map("type", "tcp", "interval", "1s", "timeout", "300ms", "rise", 2, "fall", 3));
        return m;
    }

    /** Runs the due ticks of the plugin's checks and completes their probes. */
    private static void round(FakePluginContext ctx, Map<String, ProbeResult> results) {
        int before = ctx.probes().calls().size();
        ctx.executor().runPending();
        for (FakeHealthProbes.Call c : new ArrayList<>(ctx.probes().calls().subList(before, ctx.probes().calls().size()))) {
            ProbeResult r = results.get(c.peer().address());
            if (r != null) {
                c.complete(r);
            }
        }
    }

    private static Map<String, ProbeResult> all(ProbeResult r) {
        return Map.of("a:1", r, "b:2", r, "c:3", r);
    }

    @Test
    void thePluginProbesItsOwnPeersOnItsLoop() {
        FakePluginContext ctx = context(checked("connect_timeout", "2s"));
        LoadBalancer lb = started(ctx);
        assertEquals(3, ctx.executor().pending().size());
        ctx.executor().runPending();
        Group g = defaultGroup(lb);
        assertEquals(3, ctx.probes().calls().size());
        for (FakeHealthProbes.Call c : ctx.probes().calls()) {
            assertSame(g.peer(LbTestSupport.indexOf(g, c.peer().address())), c.peer());
            assertEquals(Duration.ofMillis(300), c.timeout());
        }
        assertEquals(1000, ctx.executor().pending().get(0).getDelay(TimeUnit.MILLISECONDS));
    }

    @Test
    void aTlsBackendIsProbedWithItsTlsPeer() {
        for (String type : List.of("http", "tcp")) {
            FakePluginContext ctx = context(checked(
                    "backends", List.of(map("address", "a:443", "tls", true, "sni", "api.internal", "verify_hostname", false),
                            "https://b", "c:3"),
                    "health_check", map("type", type, "interval", "1s")));
            Group g = defaultGroup(started(ctx));
            ctx.executor().runPending();
            assertEquals(3, ctx.probes().calls().size());
            for (FakeHealthProbes.Call c : ctx.probes().calls()) {
                assertSame(g.peer(LbTestSupport.indexOf(g, c.peer().address())), c.peer(), "the runtime probes TLS peers over TLS");
                assertEquals(type.equals("http"), c.http() != null);
            }
            Peer a = ctx.probes().of("a:443").get(0).peer();
            assertTrue(a.tls());
            assertEquals("api.internal", a.sni());
            assertFalse(a.verifyHostname());
            assertTrue(ctx.probes().of("b:443").get(0).peer().tls());
            assertFalse(ctx.probes().of("c:3").get(0).peer().tls());
        }
    }

    /**
     * A sub-millisecond interval would be scheduled as 0 ms (timers count whole milliseconds): every
     * backend probed again as soon as its last probe ends. It must be refused, or at least never
     * scheduled without a pause.
     */
    @Test
    void aSubMillisecondIntervalIsNotABusyLoop() {
        FakePluginContext ctx = context(checked("health_check", map("type", "tcp", "interval", "0.5ms")));
        try {
            started(ctx);
        } catch (dev.turnpike.api.config.InvalidConfigException e) {
            assertEquals(LbTestSupport.PREFIX + ".health_check.interval", e.key());
            return; // refusing it is fine too
        }
        ctx.executor().runPending();
        for (FakeEventLoop.Task t : ctx.executor().pending()) {
            assertTrue(t.delay().toMillis() > 0, "next check scheduled " + t.delay().toMillis() + "ms later");
        }
    }

    @Test
    void thePluginSendsTheConfiguredHttpCheck() {
        FakePluginContext ctx = context(checked("health_check",
                map("path", "/healthz", "method", "HEAD", "host", "svc.local", "timeout", "700ms")));
        started(ctx);
        ctx.executor().runPending();
        HttpProbe p = ctx.probes().calls().get(0).http();
        assertEquals(new HttpProbe("HEAD", "/healthz", "svc.local", Duration.ofMillis(700)), p);
    }

    @Test
    void aBackendDownByItsCheckIsNotPicked() {
        FakePluginContext ctx = context(checked());
        LoadBalancer lb = started(ctx);
        for (int i = 0; i < 3; i++) {
            round(ctx, Map.of("a:1", FakeHealthProbes.refused(), "b:2", FakeHealthProbes.connected(), "c:3", FakeHealthProbes.connected()));
        }
        assertEquals(0.0, up(ctx.metrics(), "default", "a:1"));
        Session s = req().status(200).build();
        for (int i = 0; i < 30; i++) {
            Attempts a = lb.newContext(s);
            assertFalse(pickAddress(lb, s, a).equals("a:1"));
            lb.logging(s, a);
        }
        round(ctx, allConnected());
        round(ctx, allConnected());
        assertEquals(1.0, up(ctx.metrics(), "default", "a:1"));
        assertEquals(1.0, changes(ctx.metrics(), "default", "a:1", "up"));
        requestTo(lb, "a:1");
    }

    @Test
    void initialDownStartsEveryBackendDownUntilItsChecksPass() {
        FakePluginContext ctx = context(checked("health_check", map("type", "tcp", "initial", "down")));
        LoadBalancer lb = started(ctx);
        for (String a : ADDRESSES) {
            assertEquals(0.0, up(ctx.metrics(), "default", a), "published down at start");
        }
        Session s = req().build();
        assertEquals(503, lb.upstreamPeer(s, lb.newContext(s)).response().status());

        round(ctx, Map.of("b:2", FakeHealthProbes.connected()));
        round(ctx, Map.of("b:2", FakeHealthProbes.connected()));
        for (int i = 0; i < 5; i++) {
            assertEquals("b:2", pickAddress(lb, s, lb.newContext(s)));
        }
    }

    /** Written out, when_all_down: unavailable holds even with panic on (the default 50%). */
    @Test
    void everyBackendDownAnswers503() {
        FakePluginContext ctx = context(checked("when_all_down", "unavailable"));
        LoadBalancer lb = started(ctx);
        for (int i = 0; i < 3; i++) {
            round(ctx, all(FakeHealthProbes.refused()));
        }
        Session s = req().build();
        Attempts a = lb.newContext(s);
        Outcome o = lb.upstreamPeer(s, a);
        assertEquals(Outcome.Kind.RESPOND, o.kind());
        assertEquals(503, o.response().status());
        assertTrue(o.response().headers().stream().anyMatch(h -> h.getKey().equals("Retry-After")));
        assertEquals(1.0, ctx.metrics().find("lb_all_backends_down_total", "default", "503"));
        assertEquals(-1, a.current, "nothing is held");
        lb.logging(req().status(0).build(), a);
        for (BackendHealth h : defaultGroup(lb).health) {
            assertEquals(0, h.active().get());
        }
    }

    @Test
    void failOpenTriesTheBackendsAnyway() {
        FakePluginContext ctx = context(checked("when_all_down", "fail_open"));
        LoadBalancer lb = started(ctx);
        for (int i = 0; i < 3; i++) {
            round(ctx, all(FakeHealthProbes.refused()));
        }
        Session s = req().build();
        Attempts a = lb.newContext(s);
        Outcome o = lb.upstreamPeer(s, a);
        assertEquals(Outcome.Kind.UPSTREAM, o.kind());
        assertEquals(1.0, ctx.metrics().find("lb_all_backends_down_total", "default", "fail_open"));
        // And a failed attempt may still move on to another down backend.
        assertTrue(lb.failToConnect(s, a, new UpstreamFailure(o.peer(), ProxyError.of(ErrorKind.CONNECT_REFUSED, "connect", null), 1, null)));
        Outcome second = lb.upstreamPeer(s, a);
        assertEquals(Outcome.Kind.UPSTREAM, second.kind());
        assertFalse(second.peer().equals(o.peer()));
        assertEquals(1.0, ctx.metrics().find("lb_all_backends_down_total", "default", "fail_open"),
                "counted once per request");
    }

    @Test
    void noTrialRequestsWhenAnActiveCheckDecides() {
        FakePluginContext ctx = context(checked("passive", map("max_fails", 1, "cooldown", "10s")));
        LoadBalancer lb = started(ctx);
        Attempts a = requestTo(lb, "a:1");
        lb.failToConnect(req().build(), a, new UpstreamFailure(defaultGroup(lb).peer(0), ProxyError.of(ErrorKind.CONNECT_REFUSED, "connect", null), 1, null));
        assertFalse(defaultGroup(lb).health[0].up(), "passive health ejects even with an active check");
        // Checks that pass during the cool-down do not bring it back early.
        round(ctx, allConnected());
        round(ctx, allConnected());
        round(ctx, allConnected());
        assertFalse(defaultGroup(lb).health[0].up());
    }

    @Test
    void stopCancelsThePluginsChecks() {
        FakePluginContext two = context(map(
                "groups", map(
                        "api", map("backends", List.of("a:1", "b:2"), "health_check", map("type", "tcp")),
                        "web", map("backends", List.of("c:3"), "health_check", map("type", "tcp")),
                        "static", map("backends", List.of("d:4"))),
                "default_group", "web"));
        LoadBalancer lb = started(two);
        assertEquals(3, two.executor().pending().size(), "one schedule per checked backend, none for unchecked groups");
        round(two, Map.of("a:1", FakeHealthProbes.refused()));
        round(two, Map.of("a:1", FakeHealthProbes.refused()));
        two.executor().runPending(); // the third probes are out when the instance stops
        List<FakeEventLoop.Task> scheduled = two.executor().pending();
        lb.stop();
        assertEquals(List.of(), two.executor().pending());
        for (FakeEventLoop.Task t : scheduled) {
            assertTrue(t.isCancelled());
        }
        assertEquals(3, two.probes().completeAll(FakeHealthProbes.refused()));
        assertTrue(lb.groups().get("api").health[0].up(), "results after stop are dropped");
    }
}
