package dev.turnpike.plugins.loadbalancer;

import static dev.turnpike.plugins.loadbalancer.LbTestSupport.defaultGroup;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.indexOf;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.map;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.pickAddress;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.req;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.started;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamFailure;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The three policies, through the plugin (groups, health and in-flight counts included). */
class PoliciesTest {

    // ------------------------------------------------------------------ weighted round robin

    @Test
    void weightedRoundRobinGivesExactShares() {
        LoadBalancer lb = started(map("backends", List.of(
                map("address", "a:1", "weight", 5),
                map("address", "b:2", "weight", 3),
                map("address", "c:3", "weight", 1))));
        Session s = req().status(200).build();
        Map<String, Integer> counts = new HashMap<>();
        int longestRunOfA = 0;
        int run = 0;
        for (int i = 0; i < 9000; i++) {
            Attempts a = lb.newContext(s);
            String addr = pickAddress(lb, s, a);
            lb.logging(s, a);
            counts.merge(addr, 1, Integer::sum);
            run = addr.equals("a:1") ? run + 1 : 0;
            longestRunOfA = Math.max(longestRunOfA, run);
        }
        assertEquals(Map.of("a:1", 5000, "b:2", 3000, "c:3", 1000), counts);
        // Smooth: the heaviest backend never gets its whole share in one burst.
        assertTrue(longestRunOfA <= 2, "longest run of a:1 was " + longestRunOfA);
        // Every request was logged: nothing is left in flight.
        for (int i = 0; i < 3; i++) {
            assertEquals(0, defaultGroup(lb).health[i].active().get());
        }
    }

    @Test
    void weightedRoundRobinSkipsADownBackendAndSpreadsItsShare() {
        LoadBalancer lb = started(map(
                "backends", List.of(map("address", "a:1", "weight", 2), "b:2", "c:3"),
                "passive", map("max_fails", 1)));
        Session s = req().build();
        Attempts failed = LbTestSupport.requestTo(lb, "a:1");
        lb.failToConnect(s, failed, new UpstreamFailure(defaultGroup(lb).peer(0), ProxyError.of(ErrorKind.CONNECT_REFUSED, "connect", null), 1, "client gone"));
        Map<String, Integer> counts = new HashMap<>();
        Session ok = req().status(200).build();
        for (int i = 0; i < 400; i++) {
            Attempts a = lb.newContext(ok);
            counts.merge(pickAddress(lb, ok, a), 1, Integer::sum);
            lb.logging(ok, a);
        }
        assertFalse(counts.containsKey("a:1"));
        assertEquals(200, counts.get("b:2"));
        assertEquals(200, counts.get("c:3"));
    }

    // ------------------------------------------------------------------ least connections

    @Test
    void leastConnectionsAvoidsTheBusyBackend() {
        LoadBalancer lb = started(map("backends", List.of("a:1", "b:2", "c:3"), "policy", "least_conn"));
        Session s = req().status(200).build();
        Group g = defaultGroup(lb);

        // Nothing in flight: the first request goes to the first backend. It is held (not logged).
        Attempts held = lb.newContext(s);
        assertEquals("a:1", pickAddress(lb, s, held));
        assertEquals(1, g.health[0].active().get());

        // While it is held, requests that come and go never land on a:1.
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            Attempts a = lb.newContext(s);
            counts.merge(pickAddress(lb, s, a), 1, Integer::sum);
            lb.logging(s, a);
        }
        assertEquals(Set.of("b:2", "c:3"), counts.keySet());
        assertEquals(100, counts.get("b:2") + counts.get("c:3"));

        // Logging lets it go: a:1 takes requests again.
        lb.logging(s, held);
        assertEquals(0, g.health[0].active().get());
        counts.clear();
        for (int i = 0; i < 90; i++) {
            Attempts a = lb.newContext(s);
            counts.merge(pickAddress(lb, s, a), 1, Integer::sum);
            lb.logging(s, a);
        }
        assertEquals(Map.of("a:1", 30, "b:2", 30, "c:3", 30), counts);
    }

    /**
     * Ties among idle backends must share evenly while another is busy: a tie-break that rotates
     * the scan's start hands the busy backend's turns to its successor (67/33 before the fix).
     */
    @Test
    void idleBackendsShareEvenlyWhileOneIsBusy() {
        LoadBalancer lb = started(map("backends", List.of("a:1", "b:2", "c:3"), "policy", "least_conn"));
        Session s = req().status(200).build();
        assertEquals("a:1", pickAddress(lb, s, lb.newContext(s))); // held
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            Attempts a = lb.newContext(s);
            counts.merge(pickAddress(lb, s, a), 1, Integer::sum);
            lb.logging(s, a);
        }
        assertEquals(50, counts.get("b:2"), "the idle backends share evenly: " + counts);
        assertEquals(50, counts.get("c:3"));
    }

    @Test
    void leastConnectionsFillsTheIdleBackendFirst() {
        LoadBalancer lb = started(map("backends", List.of("a:1", "b:2", "c:3"), "policy", "least_conn"));
        Session s = req().build();
        List<Attempts> held = new ArrayList<>();
        Set<String> firstThree = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            Attempts a = lb.newContext(s);
            firstThree.add(pickAddress(lb, s, a));
            held.add(a);
        }
        assertEquals(Set.of("a:1", "b:2", "c:3"), firstThree, "each held request goes to a backend with none");

        // Release b:2's request only: the next one must go there.
        Group g = defaultGroup(lb);
        Attempts onB = held.stream().filter(a -> a.current == indexOf(g, "b:2")).findFirst().orElseThrow();
        lb.logging(req().status(200).build(), onB);
        Attempts next = lb.newContext(s);
        assertEquals("b:2", pickAddress(lb, s, next));
        assertEquals(List.of(1, 1, 1), List.of(g.health[0].active().get(), g.health[1].active().get(),
                g.health[2].active().get()));
    }

    @Test
    void leastConnectionsHonoursWeights() {
        LoadBalancer lb = started(map("backends", List.of(map("address", "a:1", "weight", 3), "b:2"),
                "policy", "least_conn"));
        Session s = req().build();
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 8; i++) {
            counts.merge(pickAddress(lb, s, lb.newContext(s)), 1, Integer::sum); // all held
        }
        assertEquals(Map.of("a:1", 6, "b:2", 2), counts);
    }

    @Test
    void aFailedAttemptLetsItsBackendGo() {
        LoadBalancer lb = started(map("backends", List.of("a:1", "b:2"), "policy", "least_conn"));
        Session s = req().build();
        Attempts a = lb.newContext(s);
        String first = pickAddress(lb, s, a);
        Group g = defaultGroup(lb);
        int i = indexOf(g, first);
        assertEquals(1, g.health[i].active().get());
        assertTrue(lb.failToConnect(s, a, new UpstreamFailure(g.peer(i), ProxyError.of(ErrorKind.CONNECT_REFUSED, "connect", null), 1, null)));
        assertEquals(0, g.health[i].active().get(), "the failed attempt no longer counts");
        String second = pickAddress(lb, s, a);
        assertNotEquals(first, second);
        lb.logging(req().status(200).build(), a);
        assertEquals(0, g.health[0].active().get());
        assertEquals(0, g.health[1].active().get());
    }

    // ------------------------------------------------------------------ consistent hash

    private static LoadBalancer hashed(List<String> backends) {
        return started(map("backends", backends, "policy", "consistent_hash", "hash_key", "header:X-User"));
    }

    @Test
    void consistentHashKeepsAUserOnOneBackend() {
        LoadBalancer lb = hashed(List.of("a:1", "b:2", "c:3", "d:4"));
        Map<String, String> home = new HashMap<>();
        for (int round = 0; round < 3; round++) {
            for (int u = 0; u < 100; u++) {
                // Different client addresses and paths: only the header counts.
                Session s = req().header("X-User", "user-" + u).client("10.0.0." + (round + 1)).path("/p" + round)
                        .status(200).build();
                Attempts a = lb.newContext(s);
                String addr = pickAddress(lb, s, a);
                lb.logging(s, a);
                String before = home.putIfAbsent("user-" + u, addr);
                if (before != null) {
                    assertEquals(before, addr, "user-" + u + " moved");
                }
            }
        }
        // And users are spread: every backend is home to some.
        assertEquals(Set.of("a:1", "b:2", "c:3", "d:4"), new HashSet<>(home.values()));
    }

    @Test
    void consistentHashWithoutTheHeaderHashesTheClientAddress() {
        LoadBalancer lb = hashed(List.of("a:1", "b:2", "c:3", "d:4"));
        Set<String> seen = new HashSet<>();
        for (int c = 1; c <= 50; c++) {
            Session s = req().client("10.0.1." + c).build();
            String first = pickAddress(lb, s, lb.newContext(s));
            for (int k = 0; k < 3; k++) {
                Session again = req().client("10.0.1." + c).path("/other" + k).build();
                assertEquals(first, pickAddress(lb, again, lb.newContext(again)));
            }
            seen.add(first);
        }
        assertTrue(seen.size() > 1, "requests without the header still spread: " + seen);
    }

    @Test
    void consistentHashMovesOnlyTheKeysOfARemovedBackend() {
        LoadBalancer four = hashed(List.of("a:1", "b:2", "c:3", "d:4"));
        LoadBalancer three = hashed(List.of("a:1", "b:2", "d:4"));
        int moved = 0;
        for (int u = 0; u < 200; u++) {
            Session s = req().header("X-User", "u" + u).build();
            String before = pickAddress(four, s, four.newContext(s));
            String after = pickAddress(three, s, three.newContext(s));
            if (!before.equals("c:3")) {
                assertEquals(before, after, "u" + u + " moved though its backend stayed");
            } else {
                moved++;
            }
        }
        assertTrue(moved > 0);
    }

    @Test
    void consistentHashFailsOverToOneOtherBackend() {
        LoadBalancer lb = started(map("backends", List.of("a:1", "b:2", "c:3"), "policy", "consistent_hash",
                "hash_key", "header:X-User", "passive", map("max_fails", 1)));
        Session s = req().header("X-User", "alice").status(200).build();
        Attempts a = lb.newContext(s);
        String home = pickAddress(lb, s, a);
        Group g = defaultGroup(lb);
        // Her backend fails: the retry goes elsewhere, and so do her next requests while it is out.
        assertTrue(lb.failToConnect(s, a, new UpstreamFailure(g.peer(indexOf(g, home)), ProxyError.of(ErrorKind.CONNECT_REFUSED, "connect", null), 1, null)));
        String fallback = pickAddress(lb, s, a);
        assertNotEquals(home, fallback);
        lb.logging(s, a);
        for (int i = 0; i < 5; i++) {
            Attempts b = lb.newContext(s);
            assertEquals(fallback, pickAddress(lb, s, b), "while her backend is out, she stays on one other");
            lb.logging(s, b);
        }
    }
}
