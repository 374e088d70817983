package dev.turnpike.plugins.loadbalancer;

import static dev.turnpike.plugins.loadbalancer.LbTestSupport.answer;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.changes;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.context;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.defaultGroup;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.indexOf;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.map;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.pickAddress;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.req;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.requestTo;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.started;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.up;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.plugins.loadbalancer.health.BackendHealth;
import dev.turnpike.plugins.loadbalancer.health.PassiveSettings;
import dev.turnpike.plugins.loadbalancer.health.StatusRanges;
import dev.turnpike.testkit.phases.FakeHealthProbes;
import dev.turnpike.testkit.phases.FakePluginContext;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;

/** Passive health never takes a group's last healthy backend out: that would turn its trouble into the group's outage. */
class LastHealthyBackendTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long T0 = 7_000 * SECOND;

    private static void failConnect(LoadBalancer lb, String address) {
        Attempts a = requestTo(lb, address);
        Group g = defaultGroup(lb);
        Session s = req().build();
        lb.failToConnect(s, a, new UpstreamFailure(g.peer(indexOf(g, address)),
                ProxyError.of(ErrorKind.CONNECT_REFUSED, "connect", new ConnectException("Connection refused")), 1, null));
        lb.logging(s, a);
    }

    @Test
    void theOnlyBackendAnswering503FiveTimesStillGetsTheSixthRequest() {
        // statuses lists 503, so each answer counts; max_fails 3 would eject it at the third.
        FakePluginContext ctx = context(map("backends", List.of("a:1"),
                "passive", map("max_fails", 3, "statuses", List.of(502, 503, 504))));
        LoadBalancer lb = started(ctx);
        for (int i = 0; i < 5; i++) {
            answer(lb, "a:1", 503);
        }
        BackendHealth a = defaultGroup(lb).health[0];
        assertTrue(a.up(), "kept: it is the group's only backend");
        assertEquals(1.0, up(ctx.metrics(), "default", "a:1"));
        assertEquals(0.0, changes(ctx.metrics(), "default", "a:1", "down"), "no DOWN was reported");
        Session s = req().build();
        Outcome sixth = lb.upstreamPeer(s, lb.newContext(s));
        assertEquals(Outcome.Kind.UPSTREAM, sixth.kind(), () -> "the sixth request is forwarded, not answered " + sixth);
        assertEquals("a:1", sixth.peer().address());
    }

    @Test
    void theOnlyBackendFailingToConnectIsStillTried() {
        LoadBalancer lb = started(map("backends", List.of("a:1"), "passive", map("max_fails", 1)));
        for (int i = 0; i < 5; i++) {
            failConnect(lb, "a:1");
        }
        assertTrue(defaultGroup(lb).health[0].up());
        Session s = req().build();
        assertEquals(Outcome.Kind.UPSTREAM, lb.upstreamPeer(s, lb.newContext(s)).kind());
    }

    @Test
    void withTwoBackendsTheFirstToFailGoesAndTheLastStays() {
        FakePluginContext ctx = context(map("backends", List.of("a:1", "b:2"),
                "passive", map("max_fails", 2, "cooldown", "10s")));
        LoadBalancer lb = started(ctx);
        failConnect(lb, "a:1");
        failConnect(lb, "a:1");
        assertFalse(defaultGroup(lb).health[0].up(), "b:2 is up: a:1 may go");
        for (int i = 0; i < 6; i++) {
            failConnect(lb, "b:2");
        }
        assertTrue(defaultGroup(lb).health[1].up(), "b:2 is the last healthy one");
        assertEquals(0.0, changes(ctx.metrics(), "default", "b:2", "down"));
        Session ok = req().status(200).build();
        for (int i = 0; i < 10; i++) {
            Attempts at = lb.newContext(ok);
            assertEquals("b:2", pickAddress(lb, ok, at), "traffic still flows to the one left");
            lb.logging(ok, at);
        }
    }

    @Test
    void onceAnotherBackendIsBackTheKeptOneGoesAtItsNextFailure() throws InterruptedException {
        // Long enough that a:1 gets no trial while b:2 fails; short enough to wait out.
        LoadBalancer lb = started(map("backends", List.of("a:1", "b:2"),
                "passive", map("max_fails", 3, "cooldown", "300ms")));
        Group g = defaultGroup(lb);
        for (int i = 0; i < 3; i++) {
            failConnect(lb, "a:1");
        }
        assertFalse(g.health[0].up());
        for (int i = 0; i < 3; i++) {
            failConnect(lb, "b:2");
        }
        assertTrue(g.health[1].up(), "kept");
        Thread.sleep(350); // a:1's cool-down is over
        Attempts trial = requestTo(lb, "a:1");
        assertTrue(trial.trial);
        lb.logging(req().status(200).build(), trial);
        assertTrue(g.health[0].up(), "a:1 is back");
        failConnect(lb, "b:2");
        assertFalse(g.health[1].up(), "the streak was held at max_fails: one more failure and b:2 goes");
        assertTrue(g.health[0].up());
    }

    @Test
    void aSuccessEndsTheKeptBackendsStreak() throws InterruptedException {
        LoadBalancer lb = started(map("backends", List.of("a:1", "b:2"),
                "passive", map("max_fails", 2, "cooldown", "300ms")));
        Group g = defaultGroup(lb);
        failConnect(lb, "a:1");
        failConnect(lb, "a:1");
        failConnect(lb, "b:2");
        failConnect(lb, "b:2");
        assertTrue(g.health[1].up());
        answer(lb, "b:2", 200);
        Thread.sleep(350);
        Attempts trial = requestTo(lb, "a:1");
        lb.logging(req().status(200).build(), trial);
        failConnect(lb, "b:2");
        assertTrue(g.health[1].up(), "one failure after a success is the first of a new streak");
    }

    /** Two backends failing at the same moment on two event loops: one of them must stay. */
    @Test
    void concurrentFailuresNeverEjectBoth() throws Exception {
        for (int round = 0; round < 200; round++) {
            LoadBalancer lb = started(map("backends", List.of("a:1", "b:2"), "passive", map("max_fails", 1)));
            Group g = defaultGroup(lb);
            Attempts onA = requestTo(lb, "a:1");
            Attempts onB = requestTo(lb, "b:2");
            CyclicBarrier start = new CyclicBarrier(2);
            List<Thread> threads = new ArrayList<>();
            for (Attempts held : List.of(onA, onB)) {
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    lb.failToConnect(req().build(), held, new UpstreamFailure(g.peer(held.current),
                            ProxyError.of(ErrorKind.CONNECT_REFUSED, "connect", null), 1, null));
                });
                t.start();
                threads.add(t);
            }
            for (Thread t : threads) {
                t.join(10_000);
            }
            assertTrue(g.health[0].up() || g.health[1].up(), "round " + round + ": both were ejected");
            assertFalse(g.health[0].up() && g.health[1].up(), "round " + round + ": one of them should have gone");
        }
    }

    @Test
    void anActiveCheckStillTakesTheLastBackendDown() {
        // The guard is passive health's: a check that fails is believed (and panic decides what follows).
        FakePluginContext ctx = context(map("backends", List.of("a:1"),
                "health_check", map("type", "tcp", "fall", 1)));
        started(ctx);
        ctx.executor().runPending();
        ctx.probes().completeAll(FakeHealthProbes.refused());
        assertEquals(0.0, up(ctx.metrics(), "default", "a:1"));
    }

    // ------------------------------------------------------------------ BackendHealth on its own

    private static final PassiveSettings TWO_FAILS = new PassiveSettings(2, Duration.ofSeconds(10),
            StatusRanges.NONE);
    private static final BackendHealth.Ejections REFUSED = (backend, eject) -> false;

    private static final class Kept implements BackendHealth.Listener {
        final List<String> told = new ArrayList<>();

        @Override
        public void changed(BackendHealth backend, boolean up, String reason) {
            told.add((up ? "UP " : "DOWN ") + backend.address());
        }

        @Override
        public void kept(BackendHealth backend, String reason) {
            told.add("KEPT " + reason);
        }
    }

    @Test
    void aRefusedEjectionIsToldOncePerCoolDown() {
        BackendHealth h = new BackendHealth("g", "a:1", true);
        Kept listener = new Kept();
        h.failed("refused", false, TWO_FAILS, T0, listener, REFUSED);
        assertEquals(List.of(), listener.told, "one failure of two");
        h.failed("refused", false, TWO_FAILS, T0, listener, REFUSED);
        assertEquals(1, listener.told.size());
        assertTrue(listener.told.get(0).startsWith("KEPT 2 request(s) in a row failed, the last: refused"), listener.told.get(0));
        assertTrue(listener.told.get(0).contains("not ejected: it is the last healthy backend of its group"));
        for (int i = 0; i < 20; i++) {
            h.failed("refused", false, TWO_FAILS, T0 + i * SECOND / 4, listener, REFUSED);
        }
        assertEquals(1, listener.told.size(), "no more within the cool-down: " + listener.told);
        h.failed("refused", false, TWO_FAILS, T0 + 10 * SECOND, listener, REFUSED);
        assertEquals(2, listener.told.size(), "told again once a cool-down has passed");
        assertTrue(h.up());
    }

    @Test
    void theGroupIsAskedOnlyOnceTheStreakReachesMaxFails() {
        BackendHealth h = new BackendHealth("g", "a:1", true);
        List<String> asked = new ArrayList<>();
        BackendHealth.Ejections counting = (backend, eject) -> {
            asked.add(backend.address());
            return false;
        };
        h.failed("x", false, TWO_FAILS, T0, new Kept(), counting);
        assertEquals(List.of(), asked);
        h.failed("x", false, TWO_FAILS, T0, new Kept(), counting);
        h.failed("x", false, TWO_FAILS, T0, new Kept(), counting);
        assertEquals(List.of("a:1", "a:1"), asked, "asked at the threshold, and again at each further failure");
    }

    @Test
    void theGuardLetsADownBackendBeEjectedAgain() {
        // A failed trial restarts the cool-down: it changes no healthy count, so the guard allows it.
        BackendHealth[] health = {new BackendHealth("g", "a:1", true), new BackendHealth("g", "b:2", true)};
        EjectionGuard guard = new EjectionGuard(health, new GroupState());
        Kept listener = new Kept();
        health[0].failed("x", false, TWO_FAILS, T0, listener, guard);
        health[0].failed("x", false, TWO_FAILS, T0, listener, guard);
        assertFalse(health[0].up());
        health[1].failed("x", false, TWO_FAILS, T0, listener, guard);
        health[1].failed("x", false, TWO_FAILS, T0, listener, guard);
        assertTrue(health[1].up(), "b:2 is the last one up");
        long later = T0 + 10 * SECOND;
        assertTrue(health[0].selectable(later, false));
        assertTrue(health[0].claimTrial());
        health[0].failed("trial", true, TWO_FAILS, later, listener, guard);
        assertFalse(health[0].selectable(later + 9 * SECOND, false), "out for another whole cool-down");
        assertEquals(Map.of("DOWN a:1", 1L), listener.told.stream().filter(t -> !t.startsWith("KEPT"))
                .collect(java.util.stream.Collectors.groupingBy(t -> t, java.util.stream.Collectors.counting())));
    }
}
