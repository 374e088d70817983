package dev.turnpike.plugins.loadbalancer;

import static dev.turnpike.plugins.loadbalancer.LbTestSupport.answer;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.plugins.loadbalancer.health.BackendHealth;
import dev.turnpike.plugins.loadbalancer.health.PassiveSettings;
import dev.turnpike.plugins.loadbalancer.health.StatusRanges;
import dev.turnpike.testkit.phases.FakePluginContext;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.junit.jupiter.api.Test;

/** Passive health: real traffic takes a failing backend out, and a trial request brings it back. */
class PassiveHealthTest {

    private static final long SECOND = 1_000_000_000L;
    /** A clock reading for the direct tests (any value works: only differences matter). */
    private static final long T0 = 5_000 * SECOND;
    private static final PassiveSettings TWO_FAILS = new PassiveSettings(2, Duration.ofSeconds(10),
            StatusRanges.of(502, 504));
    /** A group that lets every ejection happen (for the tests of one backend's own rules). */
    private static final BackendHealth.Ejections ALLOWED = (backend, eject) -> {
        eject.run();
        return true;
    };

    private static Map<String, Object> config(Object passive) {
        return map("backends", List.of("a:1", "b:2", "c:3"), "passive", passive);
    }

    /** Two failures eject; 502-504 answers count (as configured: by default no status does). */
    private static Map<String, Object> twoFails() {
        return config(map("max_fails", 2, "cooldown", "10s", "statuses", "502-504"));
    }

    private static void failConnect(LoadBalancer lb, String address) {
        Attempts a = requestTo(lb, address);
        Group g = defaultGroup(lb);
        Session s = req().build();
        lb.failToConnect(s, a, new UpstreamFailure(g.peer(LbTestSupport.indexOf(g, address)), ProxyError.of(ErrorKind.CONNECT_REFUSED, "connect", new ConnectException("Connection refused")), 1, null));
        lb.logging(s, a);
    }

    /** Where {@code n} requests go (each logged with a 200 at once). */
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

    /** Waits (without sleeping) until {@code nanos} have passed on the clock the plugin reads. */
    private static void spinFor(long nanos) {
        long until = System.nanoTime() + nanos;
        while (System.nanoTime() - until < 0) {
            Thread.onSpinWait();
        }
    }

    // ------------------------------------------------------------------ through the plugin

    @Test
    void twoFailuresEjectTheBackend() {
        FakePluginContext ctx = context(twoFails());
        LoadBalancer lb = started(ctx);
        assertEquals(1.0, up(ctx.metrics(), "default", "a:1"), "published at start");

        failConnect(lb, "a:1");
        assertTrue(defaultGroup(lb).health[0].up(), "one failure of two");
        assertEquals(1.0, up(ctx.metrics(), "default", "a:1"));

        failConnect(lb, "a:1");
        BackendHealth h = defaultGroup(lb).health[0];
        assertFalse(h.up());
        assertTrue(h.reason().contains("2 request(s) in a row failed"), h.reason());
        assertEquals(0.0, up(ctx.metrics(), "default", "a:1"), "the gauge sees it DOWN");
        assertEquals(1.0, changes(ctx.metrics(), "default", "a:1", "down"));
        assertEquals(1.0, up(ctx.metrics(), "default", "b:2"), "the others stay up");

        Map<String, Integer> counts = spread(lb, 100);
        assertFalse(counts.containsKey("a:1"), "an ejected backend is not picked: " + counts);
        assertEquals(50, counts.get("b:2"));
        assertEquals(50, counts.get("c:3"));
    }

    @Test
    void failuresCountPerBackend() {
        LoadBalancer lb = started(twoFails());
        failConnect(lb, "a:1");
        failConnect(lb, "b:2");
        failConnect(lb, "c:3");
        for (BackendHealth h : defaultGroup(lb).health) {
            assertTrue(h.up(), h.toString());
        }
    }

    @Test
    void a502CountsAsAFailureAndA200ResetsTheStreak() {
        FakePluginContext ctx = context(twoFails());
        LoadBalancer lb = started(ctx);
        BackendHealth a = defaultGroup(lb).health[0];
        answer(lb, "a:1", 502);
        assertTrue(a.up());
        answer(lb, "a:1", 200);
        answer(lb, "a:1", 502);
        assertTrue(a.up(), "the 200 ended the streak: this 502 is the first of a new one");
        answer(lb, "a:1", 503);
        assertFalse(a.up(), "two in a row");
        assertTrue(a.reason().contains("answered 503"), a.reason());
        assertEquals(0.0, up(ctx.metrics(), "default", "a:1"));
    }

    @Test
    void aConnectFailureAndA504MakeAStreak() {
        LoadBalancer lb = started(twoFails());
        failConnect(lb, "b:2");
        answer(lb, "b:2", 504);
        assertFalse(defaultGroup(lb).health[1].up());
    }

    @Test
    void otherStatusesAreNotFailures() {
        LoadBalancer lb = started(twoFails());
        for (int status : new int[] {500, 404, 501, 505, 429, 301}) {
            answer(lb, "a:1", status);
        }
        assertTrue(defaultGroup(lb).health[0].up(), "only the listed 502-504 count");
    }

    @Test
    void byDefaultNoStatusCountsOnlyConnectFailures() {
        LoadBalancer lb = started(config(map("max_fails", 2)));
        for (int status : new int[] {502, 503, 504, 500, 503, 503}) {
            answer(lb, "a:1", status);
        }
        assertTrue(defaultGroup(lb).health[0].up(), "an answer, any answer, is no failure unless statuses lists it");
        failConnect(lb, "a:1");
        failConnect(lb, "a:1");
        assertFalse(defaultGroup(lb).health[0].up(), "connect failures still count");
    }

    @Test
    void anEmptyStatusesListIsTheDefault() {
        LoadBalancer lb = started(config(map("max_fails", 1, "statuses", List.of())));
        answer(lb, "a:1", 503);
        assertTrue(defaultGroup(lb).health[0].up());
    }

    @Test
    void noUpstreamAnswerIsNeitherSuccessNorFailure() {
        LoadBalancer lb = started(twoFails());
        answer(lb, "a:1", 502);
        answer(lb, "a:1", 0); // e.g. the client went away before the backend answered
        answer(lb, "a:1", 502);
        assertFalse(defaultGroup(lb).health[0].up(), "a status 0 does not end the streak");
    }

    @Test
    void configuredStatusesCount() {
        LoadBalancer lb = started(config(map("max_fails", 2, "statuses", List.of(500))));
        answer(lb, "a:1", 502);
        answer(lb, "a:1", 502);
        assertTrue(defaultGroup(lb).health[0].up(), "502 is not listed");
        answer(lb, "a:1", 500);
        answer(lb, "a:1", 500);
        assertFalse(defaultGroup(lb).health[0].up());
    }

    @Test
    void maxFailsZeroNeverEjects() {
        LoadBalancer lb = started(config(map("max_fails", 0)));
        for (int i = 0; i < 10; i++) {
            failConnect(lb, "a:1");
            answer(lb, "a:1", 502);
        }
        assertTrue(defaultGroup(lb).health[0].up());
        assertEquals(3, spread(lb, 30).size());
    }

    @Test
    void defaultPassiveEjectsAfterThree() {
        LoadBalancer lb = started(map("backends", List.of("a:1", "b:2")));
        failConnect(lb, "a:1");
        failConnect(lb, "a:1");
        assertTrue(defaultGroup(lb).health[0].up());
        failConnect(lb, "a:1");
        assertFalse(defaultGroup(lb).health[0].up());
    }

    @Test
    void oneTrialAfterTheCooldownAndItsSuccessBringsTheBackendBack() {
        FakePluginContext ctx = context(config(map("max_fails", 1, "cooldown", "1ms")));
        LoadBalancer lb = started(ctx);
        failConnect(lb, "a:1");
        assertFalse(defaultGroup(lb).health[0].up());
        spinFor(5_000_000); // past the cool-down

        // Many requests at once (none finished): exactly one of them is a:1's trial.
        Session s = req().build();
        List<Attempts> held = new ArrayList<>();
        Attempts trial = null;
        for (int i = 0; i < 30; i++) {
            Attempts a = lb.newContext(s);
            if (pickAddress(lb, s, a).equals("a:1")) {
                assertEquals(null, trial, "a second request went to a:1 while its trial was in flight");
                trial = a;
            }
            held.add(a);
        }
        assertTrue(trial != null, "no trial after the cool-down");
        assertTrue(trial.trial);
        assertFalse(defaultGroup(lb).health[0].up(), "still down until the trial answers");

        lb.logging(req().status(200).build(), trial);
        assertTrue(defaultGroup(lb).health[0].up());
        assertEquals(1.0, up(ctx.metrics(), "default", "a:1"));
        assertEquals(1.0, changes(ctx.metrics(), "default", "a:1", "up"));
        assertEquals(10, spread(lb, 30).get("a:1"), "back in the rotation");
    }

    @Test
    void aFailedTrialEjectsAgain() {
        FakePluginContext ctx = context(config(map("max_fails", 3, "cooldown", "1ms", "statuses", List.of(502))));
        LoadBalancer lb = started(ctx);
        failConnect(lb, "a:1");
        failConnect(lb, "a:1");
        failConnect(lb, "a:1");
        spinFor(5_000_000);
        Attempts trial = requestTo(lb, "a:1");
        assertTrue(trial.trial);
        lb.logging(req().status(502).build(), trial);
        BackendHealth h = defaultGroup(lb).health[0];
        assertFalse(h.up());
        assertEquals(1.0, changes(ctx.metrics(), "default", "a:1", "down"), "already down: no second DOWN event");
        assertEquals(0, h.active().get());
        // One failure of a trial ejects it (not max_fails of them), which also frees the trial slot:
        // once the new cool-down is over, another request is its next trial.
        spinFor(5_000_000);
        assertTrue(requestTo(lb, "a:1").trial);
    }

    @Test
    void aTrialThatGetsNoAnswerLetsTheNextRequestTry() {
        LoadBalancer lb = started(config(map("max_fails", 1, "cooldown", "1ms")));
        failConnect(lb, "a:1");
        spinFor(5_000_000);
        Attempts trial = requestTo(lb, "a:1");
        lb.logging(req().status(0).build(), trial); // answered locally or abandoned
        assertFalse(defaultGroup(lb).health[0].up());
        Attempts next = requestTo(lb, "a:1");
        assertTrue(next.trial, "the trial is free again");
    }

    @Test
    void aTrialThatFailsToConnectIsNotRetriedOnTheSameBackend() {
        LoadBalancer lb = started(config(map("max_fails", 1, "cooldown", "1ms")));
        failConnect(lb, "a:1");
        spinFor(5_000_000);
        Attempts trial = requestTo(lb, "a:1");
        Session s = req().build();
        assertTrue(lb.failToConnect(s, trial, new UpstreamFailure(defaultGroup(lb).peer(0), ProxyError.of(ErrorKind.CONNECT_REFUSED, "connect", null), 1, null)), "the request itself may go to another backend");
        String retry = pickAddress(lb, s, trial);
        assertFalse(retry.equals("a:1"));
        assertFalse(trial.trial, "the retry is an ordinary request");
        assertFalse(defaultGroup(lb).health[0].up());
    }

    /**
     * A trial that fails after a reload turned passive health off must still release the trial;
     * otherwise selectable() stays false for good and the backend never gets another request.
     */
    @Test
    void aFailedTrialAfterPassiveWasTurnedOffDoesNotStrandTheBackend() {
        // a:1 is ejected, then a reload turns passive health off (max_fails: 0) while it cools down.
        ConcurrentMap<String, Object> carried = new ConcurrentHashMap<>();
        LoadBalancer before = started(context(config(map("max_fails", 1, "cooldown", "1ms")), carried));
        failConnect(before, "a:1");
        LoadBalancer lb = started(context(config(map("max_fails", 0)), carried));
        spinFor(5_000_000);
        Attempts trial = requestTo(lb, "a:1");
        assertTrue(trial.trial);
        lb.logging(req().status(502).build(), trial); // the trial fails
        spinFor(5_000_000);
        // Whatever the verdict, a:1 must not be left with a trial "in flight" forever.
        requestTo(lb, "a:1");
    }

    // ------------------------------------------------------------------ BackendHealth on its own

    private static final class Events implements BackendHealth.Listener {
        final List<String> seen = new ArrayList<>();

        @Override
        public void changed(BackendHealth backend, boolean up, String reason) {
            seen.add((up ? "UP " : "DOWN ") + backend.address());
        }
    }

    @Test
    void coolDownThenExactlyOneTrial() {
        Events events = new Events();
        BackendHealth h = new BackendHealth("g", "a:1", true);
        h.failed("refused", false, TWO_FAILS, T0, events, ALLOWED);
        assertTrue(h.up());
        h.failed("refused", false, TWO_FAILS, T0 + 1, events, ALLOWED);
        assertFalse(h.up());
        assertEquals(List.of("DOWN a:1"), events.seen);

        long end = T0 + 1 + 10 * SECOND;
        assertFalse(h.selectable(T0 + 2, false));
        assertFalse(h.selectable(end - 1, false), "still cooling down");
        assertTrue(h.selectable(end, false), "the cool-down is over");
        assertTrue(h.claimTrial());
        assertFalse(h.selectable(end + SECOND, false), "one trial at a time");
        assertFalse(h.claimTrial());
    }

    @Test
    void trialSuccessBringsItBack() {
        Events events = new Events();
        BackendHealth h = new BackendHealth("g", "a:1", true);
        h.failed("x", false, TWO_FAILS, T0, events, ALLOWED);
        h.failed("x", false, TWO_FAILS, T0, events, ALLOWED);
        assertTrue(h.claimTrial());
        h.succeeded(true, events);
        assertTrue(h.up());
        assertEquals(List.of("DOWN a:1", "UP a:1"), events.seen);
        assertTrue(h.selectable(T0, false));
        // And it needs a whole new streak to go down again.
        h.failed("x", false, TWO_FAILS, T0 + 20 * SECOND, events, ALLOWED);
        assertTrue(h.up());
    }

    @Test
    void aNonTrialSuccessDoesNotBringItBack() {
        // A request sent before the ejection that ends well afterwards proves little.
        Events events = new Events();
        BackendHealth h = new BackendHealth("g", "a:1", true);
        h.failed("x", false, TWO_FAILS, T0, events, ALLOWED);
        h.failed("x", false, TWO_FAILS, T0, events, ALLOWED);
        h.succeeded(false, events);
        assertFalse(h.up());
        assertFalse(h.selectable(T0 + SECOND, false));
    }

    @Test
    void trialFailureEjectsForAFullCoolDown() {
        Events events = new Events();
        BackendHealth h = new BackendHealth("g", "a:1", true);
        h.failed("x", false, TWO_FAILS, T0, events, ALLOWED);
        h.failed("x", false, TWO_FAILS, T0, events, ALLOWED);
        long t1 = T0 + 10 * SECOND;
        assertTrue(h.selectable(t1, false));
        assertTrue(h.claimTrial());
        h.failed("refused", true, TWO_FAILS, t1, events, ALLOWED);
        assertFalse(h.up());
        assertFalse(h.selectable(t1 + 9 * SECOND, false), "ejected again for the whole cool-down");
        assertTrue(h.selectable(t1 + 10 * SECOND, false));
        assertTrue(h.claimTrial(), "the failed trial freed the trial slot");
        assertEquals(List.of("DOWN a:1"), events.seen);
    }

    @Test
    void anAbandonedTrialFreesTheSlot() {
        BackendHealth h = new BackendHealth("g", "a:1", true);
        Events events = new Events();
        h.failed("x", false, TWO_FAILS, T0, events, ALLOWED);
        h.failed("x", false, TWO_FAILS, T0, events, ALLOWED);
        long later = T0 + 11 * SECOND;
        assertTrue(h.claimTrial());
        assertFalse(h.selectable(later, false));
        h.trialAbandoned();
        assertTrue(h.selectable(later, false));
        assertFalse(h.up());
    }

    @Test
    void noTrialWhenAnActiveCheckBringsBackendsBack() {
        BackendHealth h = new BackendHealth("g", "a:1", true);
        Events events = new Events();
        h.failed("x", false, TWO_FAILS, T0, events, ALLOWED);
        h.failed("x", false, TWO_FAILS, T0, events, ALLOWED);
        assertFalse(h.selectable(T0 + 60 * SECOND, true));
        assertTrue(new BackendHealth("g", "b:2", true).selectable(T0, true), "an up backend is always selectable");
        assertFalse(new BackendHealth("g", "c:3", false).selectable(T0, true), "initially down with checks");
    }

    @Test
    void successResetsTheStreak() {
        BackendHealth h = new BackendHealth("g", "a:1", true);
        Events events = new Events();
        for (int i = 0; i < 5; i++) {
            h.failed("x", false, TWO_FAILS, T0, events, ALLOWED);
            h.succeeded(false, events);
        }
        assertTrue(h.up());
        assertEquals(List.of(), events.seen);
    }

    @Test
    void disabledPassiveNeverEjects() {
        BackendHealth h = new BackendHealth("g", "a:1", true);
        PassiveSettings off = new PassiveSettings(0, Duration.ofSeconds(10), StatusRanges.of(502, 504));
        for (int i = 0; i < 10; i++) {
            h.failed("x", false, off, T0, (b, up, why) -> {
                throw new AssertionError("no change expected");
            }, ALLOWED);
        }
        assertTrue(h.up());
    }
}
