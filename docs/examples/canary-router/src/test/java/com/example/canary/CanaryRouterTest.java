package com.example.canary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Peer;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.testkit.phases.Exchange;
import dev.turnpike.testkit.phases.FakeSession;
import dev.turnpike.testkit.phases.PhaseHarness;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CanaryRouterTest {

    private static final Peer S1 = Peer.of("10.0.0.1", 8080);
    private static final Peer S2 = Peer.of("10.0.0.2", 8080);
    private static final Peer C1 = Peer.of("10.0.0.9", 8080);

    private static Map<String, Object> config(Object... more) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("stable", List.of("10.0.0.1:8080", "10.0.0.2:8080"));
        m.put("canary", List.of("10.0.0.9:8080"));
        for (int i = 0; i < more.length; i += 2) {
            m.put((String) more[i], more[i + 1]);
        }
        return m;
    }

    private static PhaseHarness<CanaryRouter.Choice> router(Object... more) {
        return PhaseHarness.start(new CanaryRouter(), config(more));
    }

    private static Peer route(PhaseHarness<CanaryRouter.Choice> h, FakeSession s) {
        return h.exchange(s).upstreamPeer().peer();
    }

    /** 10 000 distinct client addresses, the same in every run. */
    private static String client(int i) {
        return "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
    }

    @Test
    void percentOfClientsGoToTheCanaryAndStableIsSpreadOverItsBackends() {
        PhaseHarness<CanaryRouter.Choice> h = router("percent", 10);
        Map<Peer, Integer> counts = new HashMap<>();
        for (int i = 0; i < 10_000; i++) {
            counts.merge(route(h, FakeSession.from(client(i))), 1, Integer::sum);
        }
        int canary = counts.getOrDefault(C1, 0);
        assertTrue(canary > 900 && canary < 1100, "canary got " + canary + " of 10000");
        assertTrue(counts.get(S1) > 4000 && counts.get(S2) > 4000, counts.toString());
        assertEquals(canary, h.metrics().value("canary_requests_total", "canary"));
        assertEquals(10_000 - canary, h.metrics().value("canary_requests_total", "stable"));
    }

    @Test
    void aClientStaysOnItsBackendAcrossRequestsAndRestarts() {
        PhaseHarness<CanaryRouter.Choice> first = router("percent", 30);
        PhaseHarness<CanaryRouter.Choice> restarted = router("percent", 30);
        for (int i = 0; i < 1000; i++) {
            Peer p = route(first, FakeSession.from(client(i)).client(client(i), 1000 + i));
            assertEquals(p, route(first, FakeSession.from(client(i)).client(client(i), 50000)));
            assertEquals(p, route(restarted, FakeSession.from(client(i))));
        }
    }

    @Test
    void raisingThePercentOnlyAddsClientsToTheCanary() {
        PhaseHarness<CanaryRouter.Choice> five = router("percent", 5);
        PhaseHarness<CanaryRouter.Choice> twenty = router("percent", 20);
        int moved = 0;
        for (int i = 0; i < 5000; i++) {
            boolean before = C1.equals(route(five, FakeSession.from(client(i))));
            boolean after = C1.equals(route(twenty, FakeSession.from(client(i))));
            assertTrue(!before || after, "client " + client(i) + " left the canary");
            moved += !before && after ? 1 : 0;
        }
        assertTrue(moved > 500, "only " + moved + " clients joined the canary");
    }

    @Test
    void anotherSaltPicksOtherClients() {
        PhaseHarness<CanaryRouter.Choice> a = router("percent", 50, "salt", "release-1");
        PhaseHarness<CanaryRouter.Choice> b = router("percent", 50, "salt", "release-2");
        int differ = 0;
        for (int i = 0; i < 1000; i++) {
            differ += C1.equals(route(a, FakeSession.from(client(i)))) != C1.equals(route(b, FakeSession.from(client(i)))) ? 1 : 0;
        }
        assertTrue(differ > 300 && differ < 700, differ + " of 1000 changed track");
    }

    @Test
    void aStickyCookieFollowsTheClientAcrossAddressesAndItsAddressStandsInWithoutIt() {
        PhaseHarness<CanaryRouter.Choice> h = router("percent", 50, "sticky_on", "cookie:session");
        for (int i = 0; i < 200; i++) {
            String cookie = "theme=dark; session=s-" + i;
            Peer p = route(h, FakeSession.from("192.0.2.1").header("Cookie", cookie));
            assertEquals(p, route(h, FakeSession.from("198.51.100.7").header("Cookie", cookie)));
        }
        Peer byAddress = route(h, FakeSession.from("203.0.113.5"));
        assertEquals(byAddress, route(h, FakeSession.from("203.0.113.5").header("Cookie", "other=1")));
    }

    @Test
    void aForcingHeaderOrCookieWinsOverThePercentAndTyposAreIgnored() {
        PhaseHarness<CanaryRouter.Choice> none = router("percent", 0, "force_header", "X-Canary", "force_cookie", "canary");
        assertEquals(C1, route(none, FakeSession.from("192.0.2.1").header("X-Canary", "Canary")));
        assertEquals(C1, route(none, FakeSession.from("192.0.2.1").header("Cookie", "canary=canary")));
        assertNotEquals(C1, route(none, FakeSession.from("192.0.2.1").header("X-Canary", "canry")));

        PhaseHarness<CanaryRouter.Choice> all = router("percent", 100, "force_header", "X-Canary");
        assertEquals(C1, route(all, FakeSession.from("192.0.2.1")));
        assertNotEquals(C1, route(all, FakeSession.from("192.0.2.1").header("X-Canary", "stable")));
    }

    @Test
    void theTrackIsNamedUpstreamAndARetryStaysOnItsTrack() {
        PhaseHarness<CanaryRouter.Choice> h = router("percent", 0, "track_header", "X-Canary-Track");
        Exchange<CanaryRouter.Choice> x = h.exchange(FakeSession.from("192.0.2.1"));
        Peer first = x.upstreamPeer().peer();
        x.failToConnect(ErrorKind.CONNECT_REFUSED);
        Peer second = x.upstreamPeer().peer();

        assertEquals(List.of(S1, S2), List.of(first, second).stream().sorted((p, q) -> p.address().compareTo(q.address())).toList());
        x.upstreamRequestFilter();
        assertEquals("stable", x.session().upstreamRequest().headers().get("X-Canary-Track"));
        assertEquals(1.0, h.metrics().value("canary_requests_total", "stable"), "a retry is not counted again");
    }

    @Test
    void badConfigIsRefusedWithKeyAndReason() {
        assertEquals("plugins.chain[0].config.stable: required: at least one host:port",
                refused(Map.of("canary", List.of("10.0.0.9:8080"))).getMessage());
        assertTrue(refused(config("canary", List.of("10.0.0.9"))).getMessage()
                .startsWith("plugins.chain[0].config.canary[0]: '10.0.0.9': "));
        assertEquals("plugins.chain[0].config.canary: 10.0.0.1:8080 is in stable too: a backend serves one track",
                refused(config("canary", List.of("10.0.0.1:8080"))).getMessage());
        assertEquals("plugins.chain[0].config.percent: 120.0 is outside 0..100", refused(config("percent", 120)).getMessage());
        assertEquals("plugins.chain[0].config.sticky_on: 'cookie:' is not client_ip, header:<Name> or cookie:<name>",
                refused(config("sticky_on", "cookie:")).getMessage());
        assertEquals("plugins.chain[0].config.percnt: unknown key percnt (did you mean percent?)", refused(config("percnt", 5)).getMessage());
    }

    private static InvalidConfigException refused(Map<String, ?> config) {
        return assertThrows(InvalidConfigException.class, () -> PhaseHarness.start(new CanaryRouter(), config));
    }
}
