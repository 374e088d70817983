package dev.turnpike.plugins.loadbalancer;

import static dev.turnpike.plugins.loadbalancer.LbTestSupport.context;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.defaultGroup;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.indexOf;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.map;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.panic;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.pickAddress;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.req;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.requestTo;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.started;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.health.ProbeResult;
import dev.turnpike.plugins.loadbalancer.health.BackendHealth;
import dev.turnpike.testkit.phases.FakeHealthProbes;
import dev.turnpike.testkit.phases.FakePluginContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.junit.jupiter.api.Test;

/**
 * Panic: a group with too few healthy backends spreads its traffic over all of them, and says so
 * once when it enters and once when it leaves.
 */
class PanicTest {

    private static final List<String> FOUR = List.of("a:1", "b:2", "c:3", "d:4");

    private static Map<String, Object> four(Object... extra) {
        Map<String, Object> m = map(extra);
        m.putIfAbsent("backends", FOUR);
        m.putIfAbsent("passive", map("max_fails", 1, "cooldown", "10s"));
        return m;
    }

    private static void failConnect(LoadBalancer lb, String address) {
        Attempts a = requestTo(lb, address);
        Group g = defaultGroup(lb);
        Session s = req().build();
        lb.failToConnect(s, a, connectFailure(g, address));
        lb.logging(s, a);
    }

    private static UpstreamFailure connectFailure(Group g, String address) {
        return new UpstreamFailure(g.peer(indexOf(g, address)), ProxyError.of(ErrorKind.CONNECT_REFUSED, "connect", null),
                1, null);
    }

    /** Where {@code n} requests go, each answered 200 at once. */
    private static Map<String, Integer> spread(LoadBalancer lb, int n) {
        Session ok = req().status(200).build();
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Attempts a = lb.newContext(ok);
            counts.merge(pickAddress(lb, ok, a), 1, Integer::sum);
            lb.logging(ok, a);
        }
        return counts;
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

    private static Map<String, ProbeResult> each(ProbeResult a, ProbeResult b, ProbeResult c, ProbeResult d) {
        return Map.of("a:1", a, "b:2", b, "c:3", c, "d:4", d);
    }

    private static final ProbeResult OK = FakeHealthProbes.connected();
    private static final ProbeResult REFUSED = FakeHealthProbes.refused();

    /** Four backends under TCP checks that change state at the first verdict. */
    private static Map<String, Object> checkedFour(Object... extra) {
        Map<String, Object> m = four(extra);
        m.putIfAbsent("health_check", map("type", "tcp", "rise", 1, "fall", 1));
        return m;
    }

    // ------------------------------------------------------------------ entering and leaving

    @Test
    void oneOfFourHealthyAtFiftyPercentSpreadsOverAll() {
        FakePluginContext ctx = context(four());
        LoadBalancer lb = started(ctx);
        assertEquals(0.0, panic(ctx.metrics(), "default"), "published calm at start");
        failConnect(lb, "b:2");
        failConnect(lb, "c:3");
        assertEquals(Map.of("a:1", 50, "d:4", 50), spread(lb, 100), "2 of 4 is 50%, not below it: healthy ones only");
        assertEquals(0.0, panic(ctx.metrics(), "default"));

        failConnect(lb, "d:4");
        assertEquals(1.0, panic(ctx.metrics(), "default"), "1 of 4 is below 50%: in panic");
        double routedBefore = ctx.metrics().find("lb_panic_requests_total", "default") == null ? 0
                : ctx.metrics().find("lb_panic_requests_total", "default");
        assertEquals(Map.of("a:1", 25, "b:2", 25, "c:3", 25, "d:4", 25), spread(lb, 100),
                "round robin over all four, healthy or not");
        assertEquals(routedBefore + 100, ctx.metrics().find("lb_panic_requests_total", "default"));
        assertEquals(2, ctx.metrics().sets("lb_panic", "default"), "set at start and once on entering, whatever the requests");
        assertEquals(null, ctx.metrics().find("lb_all_backends_down_total", "default", "panic"), "a:1 is still up");
    }

    @Test
    void leavesPanicWhenEnoughComeBackAndSaysItOnce() {
        FakePluginContext ctx = context(checkedFour());
        LoadBalancer lb = started(ctx);
        round(ctx, each(OK, REFUSED, REFUSED, REFUSED));
        assertEquals(1.0, panic(ctx.metrics(), "default"), "entered without any request: the checks' change is heard");
        round(ctx, each(OK, OK, REFUSED, REFUSED));
        assertEquals(0.0, panic(ctx.metrics(), "default"), "2 of 4: left");
        assertEquals(Map.of("a:1", 50, "b:2", 50), spread(lb, 100));
        assertEquals(3, ctx.metrics().sets("lb_panic", "default"), "start, entering, leaving");
        round(ctx, each(OK, OK, REFUSED, REFUSED));
        spread(lb, 10);
        assertEquals(3, ctx.metrics().sets("lb_panic", "default"), "nothing changed, nothing said");
    }

    @Test
    void aHigherThresholdPanicsSoonerALowerOneLater() {
        LoadBalancer strict = started(four("panic_threshold", "75%"));
        failConnect(strict, "c:3");
        failConnect(strict, "d:4");
        assertEquals(4, spread(strict, 40).size(), "2 of 4 is below 75%: over all");

        LoadBalancer lax = started(four("panic_threshold", "25%"));
        failConnect(lax, "b:2");
        failConnect(lax, "c:3");
        failConnect(lax, "d:4");
        assertEquals(Map.of("a:1", 40), spread(lax, 40), "1 of 4 is 25%, not below it");
    }

    @Test
    void zeroPercentTurnsPanicOff() {
        FakePluginContext ctx = context(four("panic_threshold", "0%"));
        LoadBalancer lb = started(ctx);
        failConnect(lb, "b:2");
        failConnect(lb, "c:3");
        failConnect(lb, "d:4");
        assertEquals(Map.of("a:1", 40), spread(lb, 40));
        assertEquals(0.0, panic(ctx.metrics(), "default"));
        assertEquals(1, ctx.metrics().sets("lb_panic", "default"));
        assertEquals(null, ctx.metrics().find("lb_panic_requests_total", "default"));
    }

    @Test
    void zeroPercentWithEveryBackendDownAnswers503AsBeforePanic() {
        FakePluginContext ctx = context(checkedFour("panic_threshold", "0%"));
        LoadBalancer lb = started(ctx);
        round(ctx, each(REFUSED, REFUSED, REFUSED, REFUSED));
        Session s = req().build();
        Outcome o = lb.upstreamPeer(s, lb.newContext(s));
        assertEquals(503, o.response().status());
        assertEquals(1.0, ctx.metrics().find("lb_all_backends_down_total", "default", "503"));
    }

    // ------------------------------------------------------------------ every backend down

    @Test
    void checksMarkingEveryBackendDownPanicByDefault() {
        // As in Envoy: 0% healthy is below any threshold, so traffic goes to all of them.
        FakePluginContext ctx = context(checkedFour());
        LoadBalancer lb = started(ctx);
        round(ctx, each(REFUSED, REFUSED, REFUSED, REFUSED));
        assertEquals(1.0, panic(ctx.metrics(), "default"));
        assertEquals(Map.of("a:1", 10, "b:2", 10, "c:3", 10, "d:4", 10), spread(lb, 40));
        assertEquals(40.0, ctx.metrics().find("lb_all_backends_down_total", "default", "panic"));
    }

    @Test
    void theOnlyBackendDownByItsCheckStillGetsTraffic() {
        FakePluginContext ctx = context(map("backends", List.of("a:1"), "health_check", map("type", "tcp", "fall", 1)));
        LoadBalancer lb = started(ctx);
        round(ctx, Map.of("a:1", REFUSED));
        assertFalse(defaultGroup(lb).health[0].up());
        assertEquals(Map.of("a:1", 5), spread(lb, 5), "a group of one in panic sends to its one backend");
    }

    @Test
    void writtenOutWhenAllDownHoldsWhenNoneIsHealthyButPanicStillCoversTheFew() {
        FakePluginContext ctx = context(checkedFour("when_all_down", "unavailable"));
        LoadBalancer lb = started(ctx);
        round(ctx, each(OK, REFUSED, REFUSED, REFUSED));
        assertEquals(4, spread(lb, 40).size(), "1 of 4 healthy: panic");
        round(ctx, each(REFUSED, REFUSED, REFUSED, REFUSED));
        Session s = req().build();
        assertEquals(503, lb.upstreamPeer(s, lb.newContext(s)).response().status(), "none healthy: the operator's 503");
        assertEquals(0.0, panic(ctx.metrics(), "default"), "not in panic: when_all_down decides");
    }

    @Test
    void backendsAwaitingTheirFirstCheckGetNothingEvenInPanic() {
        FakePluginContext ctx = context(checkedFour("panic_threshold", "75%",
                "health_check", map("type", "tcp", "rise", 1, "fall", 1, "initial", "down")));
        LoadBalancer lb = started(ctx);
        Session s = req().build();
        assertEquals(503, lb.upstreamPeer(s, lb.newContext(s)).response().status(),
                "initial: down, nothing judged yet: no traffic");
        assertEquals(0.0, panic(ctx.metrics(), "default"));
        // a passes, b fails; c and d get no verdict yet (their probes stay open).
        round(ctx, Map.of("a:1", OK, "b:2", REFUSED));
        assertEquals(1.0, panic(ctx.metrics(), "default"), "1 of the 2 judged is below 75%");
        Map<String, Integer> counts = spread(lb, 40);
        assertEquals(Map.of("a:1", 20, "b:2", 20), counts, "over the judged ones only");
    }

    // ------------------------------------------------------------------ retries and policies

    @Test
    void inPanicARetryMayGoToADownBackend() {
        LoadBalancer lb = started(four());
        failConnect(lb, "b:2");
        failConnect(lb, "c:3");
        failConnect(lb, "d:4");
        Group g = defaultGroup(lb);
        Session s = req().build();
        Attempts a = lb.newContext(s);
        String first = pickAddress(lb, s, a);
        assertTrue(lb.failToConnect(s, a, connectFailure(g, first)), "in panic, every untried backend is a candidate");
        assertNotEquals(first, pickAddress(lb, s, a));
    }

    @Test
    void consistentHashInPanicKeepsKeysOnTheirOwnBackends() {
        FakePluginContext ctx = context(checkedFour("policy", "consistent_hash", "hash_key", "header:X-User"));
        LoadBalancer lb = started(ctx);
        Map<String, String> home = new HashMap<>();
        for (int u = 0; u < 40; u++) {
            Session s = req().header("X-User", "user-" + u).status(200).build();
            Attempts a = lb.newContext(s);
            home.put("user-" + u, pickAddress(lb, s, a));
            lb.logging(s, a);
        }
        assertEquals(4, new java.util.HashSet<>(home.values()).size(), "the keys cover every backend: " + home);
        round(ctx, each(OK, REFUSED, REFUSED, REFUSED));
        for (int u = 0; u < 40; u++) {
            Session s = req().header("X-User", "user-" + u).status(200).build();
            Attempts a = lb.newContext(s);
            assertEquals(home.get("user-" + u), pickAddress(lb, s, a), "in panic, health no longer moves keys");
            lb.logging(s, a);
        }
    }

    @Test
    void aDownBackendsTrialIsTakenInPanicSoItCanComeBack() throws Exception {
        FakePluginContext ctx = context(four("passive", map("max_fails", 1, "cooldown", "1ms")));
        LoadBalancer lb = started(ctx);
        failConnect(lb, "b:2");
        failConnect(lb, "c:3");
        failConnect(lb, "d:4");
        Thread.sleep(5); // the cool-downs are over
        spread(lb, 8); // answered 200: the trials among them bring backends back
        Group g = defaultGroup(lb);
        for (BackendHealth h : g.health) {
            assertTrue(h.up(), h.toString());
        }
        assertEquals(0.0, panic(ctx.metrics(), "default"));
    }

    // ------------------------------------------------------------------ reloads

    @Test
    void aReloadInPanicDoesNotSayItAgain() {
        ConcurrentMap<String, Object> carried = new ConcurrentHashMap<>();
        FakePluginContext before = context(four(), carried);
        LoadBalancer old = started(before);
        failConnect(old, "b:2");
        failConnect(old, "c:3");
        failConnect(old, "d:4");
        assertEquals(1.0, panic(before.metrics(), "default"));

        FakePluginContext after = context(four(), carried);
        LoadBalancer lb = started(after);
        assertEquals(1.0, panic(after.metrics(), "default"), "the new instance publishes the carried state");
        assertEquals(4, spread(lb, 40).size(), "still in panic");
        assertEquals(1, after.metrics().sets("lb_panic", "default"), "no second 'entering'");
    }

    @Test
    void theSupersededInstanceRoutesByItsOwnGroupButSaysNothing() {
        ConcurrentMap<String, Object> carried = new ConcurrentHashMap<>();
        FakePluginContext before = context(four(), carried);
        LoadBalancer old = started(before);
        failConnect(old, "b:2");
        failConnect(old, "c:3");
        failConnect(old, "d:4");
        // The new configuration adds three healthy backends: 4 of 7, calm.
        FakePluginContext after = context(four("backends", List.of("a:1", "b:2", "c:3", "d:4", "e:5", "f:6", "g:7")),
                carried);
        LoadBalancer lb = started(after);
        spread(lb, 7);
        assertEquals(0.0, panic(after.metrics(), "default"));
        int oldSets = before.metrics().sets("lb_panic", "default");
        assertEquals(4, spread(old, 8).size(), "the old instance, still in panic by its own count, spreads its last requests");
        assertEquals(oldSets, before.metrics().sets("lb_panic", "default"), "but no longer reports");
        spread(lb, 7);
        assertEquals(2, after.metrics().sets("lb_panic", "default"), "nor flips the new instance's state: start, leaving");
    }

    @Test
    void aReloadThatAddsHealthyBackendsLeavesPanic() {
        ConcurrentMap<String, Object> carried = new ConcurrentHashMap<>();
        LoadBalancer old = started(context(four(), carried));
        failConnect(old, "b:2");
        failConnect(old, "c:3");
        failConnect(old, "d:4");
        FakePluginContext after = context(four("backends", List.of("a:1", "b:2", "c:3", "d:4", "e:5", "f:6", "g:7")),
                carried);
        LoadBalancer lb = started(after);
        assertEquals(1.0, panic(after.metrics(), "default"), "published as last reported");
        Map<String, Integer> counts = spread(lb, 40);
        assertEquals(0.0, panic(after.metrics(), "default"), "4 of 7 healthy: the first request finds it calm");
        assertFalse(counts.containsKey("b:2"), counts.toString());
    }

    @Test
    void aStoppedInstanceHandsTheReportsBack() {
        // A reload refused after this plugin started: the new instance stops, the old one reports again.
        ConcurrentMap<String, Object> carried = new ConcurrentHashMap<>();
        FakePluginContext before = context(four(), carried);
        LoadBalancer old = started(before);
        LoadBalancer refused = started(context(four(), carried));
        refused.stop();
        failConnect(old, "b:2");
        failConnect(old, "c:3");
        failConnect(old, "d:4");
        assertEquals(1.0, panic(before.metrics(), "default"));
    }

    // ------------------------------------------------------------------ Panic on its own

    private static GroupSettings settings(Object... keysAndValues) {
        Map<String, Object> m = map(keysAndValues);
        m.putIfAbsent("backends", FOUR);
        return GroupSettings.read(ConfigSection.of("g", m), "g");
    }

    private static BackendHealth[] fourUp() {
        BackendHealth[] out = new BackendHealth[4];
        for (int i = 0; i < 4; i++) {
            out[i] = new BackendHealth("g", FOUR.get(i), true);
        }
        return out;
    }

    /** Takes a backend down through a failed check (fall 1), telling {@code panic}. */
    private static void down(BackendHealth h, Panic panic) {
        h.checked(panic, false, "refused", settings("health_check", map("type", "tcp", "fall", 1)).check(), 0, panic);
    }

    private static void ownChecks(BackendHealth[] health, Panic panic) {
        for (BackendHealth h : health) {
            h.ownChecks(panic);
        }
    }

    @Test
    void entersAndLeavesOnceWithTheCounts() {
        LbMetrics metrics = mock(LbMetrics.class);
        BackendHealth[] health = fourUp();
        GroupSettings s = settings();
        Panic panic = new Panic(s, health, new GroupState(), metrics);
        panic.takeOverReports();
        ownChecks(health, panic);
        down(health[1], panic);
        down(health[2], panic);
        for (int i = 0; i < 10; i++) {
            assertEquals(Panic.State.CALM, panic.now());
        }
        down(health[3], panic);
        for (int i = 0; i < 10; i++) {
            assertEquals(Panic.State.PANIC, panic.now());
        }
        verify(metrics, times(1)).panic("g", true, 1, 4, 4, PanicThreshold.DEFAULT);
        health[3].checked(panic, true, "ok", settings("health_check", map("type", "tcp", "rise", 1)).check(), 0, panic);
        for (int i = 0; i < 10; i++) {
            assertEquals(Panic.State.CALM, panic.now());
        }
        verify(metrics, times(1)).panic("g", false, 2, 4, 4, PanicThreshold.DEFAULT);
        verify(metrics, times(2)).panic(eq("g"), anyBoolean(), anyInt(), anyInt(), anyInt(), any());
    }

    @Test
    void anInstanceThatDoesNotReportStillRoutesByItsOwnCount() {
        LbMetrics metrics = mock(LbMetrics.class);
        BackendHealth[] health = fourUp();
        Panic panic = new Panic(settings(), health, new GroupState(), metrics);
        ownChecks(health, panic);
        down(health[1], panic);
        down(health[2], panic);
        down(health[3], panic);
        assertEquals(Panic.State.PANIC, panic.now());
        verify(metrics, never()).panic(any(), anyBoolean(), anyInt(), anyInt(), anyInt(), any());
    }
}
