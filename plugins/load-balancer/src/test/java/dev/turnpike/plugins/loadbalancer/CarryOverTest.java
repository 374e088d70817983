package dev.turnpike.plugins.loadbalancer;

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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.plugins.loadbalancer.health.BackendHealth;
import dev.turnpike.testkit.phases.FakeHealthProbes;
import dev.turnpike.testkit.phases.FakeMetrics;
import dev.turnpike.testkit.phases.FakePluginContext;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.junit.jupiter.api.Test;

/** What a reload keeps: the health of backends that stay, through the carried-state map. */
class CarryOverTest {

    private static void failConnect(LoadBalancer lb, String group, String address) {
        Group g = lb.groups().get(group);
        Session s = req().path("/").build();
        Attempts a = requestTo(lb, address);
        lb.failToConnect(s, a, new UpstreamFailure(g.peer(indexOf(g, address)), ProxyError.of(ErrorKind.CONNECT_REFUSED, "connect", null), 1, null));
        lb.logging(s, a);
    }

    /** The backends whose health the map holds. */
    private static Set<String> addressesIn(ConcurrentMap<String, Object> carried) {
        Set<String> out = new HashSet<>();
        for (Object v : carried.values()) {
            if (v instanceof BackendHealth h) {
                out.add(h.group() + "/" + h.address());
            }
        }
        return out;
    }

    @Test
    void healthOfBackendsThatStayCarriesOverNewOnesStartUpRemovedOnesAreDropped() {
        ConcurrentMap<String, Object> carried = new ConcurrentHashMap<>();
        FakePluginContext ctxA = context(map("backends", List.of("a:1", "b:2"),
                "passive", map("max_fails", 1, "cooldown", "10s")), carried);
        LoadBalancer lbA = started(ctxA);
        assertEquals(Set.of("default/a:1", "default/b:2"), addressesIn(carried));
        failConnect(lbA, "default", "a:1");
        assertFalse(defaultGroup(lbA).health[0].up());

        // Reload: a:1 stays, b:2 goes, c:3 comes.
        FakePluginContext ctxB = context(map("backends", List.of("c:3", "a:1"),
                "passive", map("max_fails", 1, "cooldown", "10s")), carried);
        LoadBalancer lbB = started(ctxB);
        Group g = defaultGroup(lbB);
        assertFalse(g.health[indexOf(g, "a:1")].up(), "a:1 is still down after the reload");
        assertTrue(g.health[indexOf(g, "c:3")].up(), "the new backend starts up");
        assertSame(defaultGroup(lbA).health[0], g.health[indexOf(g, "a:1")], "one state shared by both instances");
        assertEquals(0.0, up(ctxB.metrics(), "default", "a:1"), "the new instance publishes the carried state");
        assertEquals(1.0, up(ctxB.metrics(), "default", "c:3"));
        assertEquals(Set.of("default/a:1", "default/c:3"), addressesIn(carried), "b:2 is dropped from the map");

        Session s = req().status(200).build();
        for (int i = 0; i < 20; i++) {
            Attempts at = lbB.newContext(s);
            assertEquals("c:3", pickAddress(lbB, s, at), "the carried-over ejection still holds");
            lbB.logging(s, at);
        }
    }

    @Test
    void activatedForgetsTheSeriesOfBackendsAndGroupsTheNewConfigurationDropped() {
        ConcurrentMap<String, Object> carried = new ConcurrentHashMap<>();
        FakeMetrics metrics = new FakeMetrics();
        Map<String, Object> before = map("groups", map(
                "web", map("backends", List.of("a:1", "b:2")),
                "api", map("backends", List.of("b:2", "c:3"))), "default_group", "web");
        LoadBalancer lbA = started(context(before, carried).metrics(metrics));
        lbA.activated();
        assertEquals(List.of(), metrics.forgotten(), "the first configuration drops nothing");
        assertEquals(1.0, up(metrics, "api", "c:3"));

        // Reload: group api goes; b:2 stays (in web), c:3 is in no group any more.
        LoadBalancer lbB = started(context(map("groups", map("web", map("backends", List.of("a:1", "b:2"))),
                "default_group", "web"), carried).metrics(metrics));
        assertEquals(List.of(), metrics.forgotten(), "nothing goes before the new generation is in force");
        lbB.activated();
        assertEquals(List.of("backend=c:3", "group=api"), metrics.forgotten());
        assertNull(metrics.find("lb_backend_up", "api", "c:3"));
        assertNull(metrics.find("lb_backend_up", "api", "b:2"), "the dropped group's series go");
        assertEquals(1.0, up(metrics, "web", "b:2"), "a backend that stays in another group keeps its series");
        lbB.activated();
        assertEquals(2, metrics.forgotten().size(), "once");
    }

    @Test
    void peersCarryTheirGroupForTheRuntimesLabels() {
        LoadBalancer lb = started(map("groups", map("web", map("backends", List.of("a:1"))), "default_group", "web"));
        Session s = req().build();
        assertEquals("web", lb.upstreamPeer(s, lb.newContext(s)).peer().group());
    }

    @Test
    void aFailureStreakCarriesOver() {
        ConcurrentMap<String, Object> carried = new ConcurrentHashMap<>();
        Map<String, Object> config = map("backends", List.of("a:1", "b:2"), "passive", map("max_fails", 2));
        LoadBalancer lbA = started(context(config, carried));
        failConnect(lbA, "default", "a:1");
        LoadBalancer lbB = started(context(map("backends", List.of("a:1", "b:2"), "passive",
                map("max_fails", 2)), carried));
        failConnect(lbB, "default", "a:1");
        assertFalse(defaultGroup(lbB).health[0].up(), "one failure before the reload and one after make two");
    }

    @Test
    void requestsInFlightOnTheOldInstanceCountForTheNew() {
        ConcurrentMap<String, Object> carried = new ConcurrentHashMap<>();
        LoadBalancer lbA = started(context(map("backends", List.of("a:1", "b:2"), "policy", "least_conn"), carried));
        Attempts held = requestTo(lbA, "a:1"); // still in flight on the old instance
        LoadBalancer lbB = started(context(map("backends", List.of("a:1", "b:2"), "policy", "least_conn"), carried));
        Session s = req().build();
        assertEquals("b:2", pickAddress(lbB, s, lbB.newContext(s)));
        lbA.logging(req().status(200).build(), held);
        assertEquals(0, defaultGroup(lbB).health[0].active().get());
    }

    @Test
    void aFreshMapStartsEverythingUp() {
        ConcurrentMap<String, Object> carried = new ConcurrentHashMap<>();
        LoadBalancer lbA = started(context(map("backends", List.of("a:1", "b:2"), "passive",
                map("max_fails", 1)), carried));
        failConnect(lbA, "default", "a:1");
        // The plugin's jar changed: the runtime hands over an empty map.
        LoadBalancer lbB = started(context(map("backends", List.of("a:1", "b:2"))));
        assertTrue(defaultGroup(lbB).health[0].up());
        assertNotSame(defaultGroup(lbA).health[0], defaultGroup(lbB).health[0]);
    }

    @Test
    void healthBelongsToABackendInItsGroup() {
        ConcurrentMap<String, Object> carried = new ConcurrentHashMap<>();
        LoadBalancer lbA = started(context(map(
                "groups", map("api", map("backends", List.of("a:1", "b:2"), "passive", map("max_fails", 1))),
                "default_group", "api"), carried));
        failConnect(lbA, "api", "a:1");
        assertFalse(lbA.groups().get("api").health[0].up());

        // a:1 moves to another group (and api keeps b:2): the new group knows nothing of it.
        LoadBalancer lbB = started(context(map(
                "groups", map(
                        "api", map("backends", List.of("b:2")),
                        "web", map("backends", List.of("a:1"))),
                "default_group", "api"), carried));
        assertTrue(lbB.groups().get("web").health[0].up());
        assertEquals(Set.of("api/b:2", "web/a:1"), addressesIn(carried));
    }

    @Test
    void theNewInstancesChecksTakeOver() {
        ConcurrentMap<String, Object> carried = new ConcurrentHashMap<>();
        Map<String, Object> check = map("type", "tcp", "rise", 2, "fall", 3);
        FakePluginContext ctxA = context(map("backends", List.of("a:1", "b:2"), "health_check", check), carried);
        LoadBalancer lbA = started(ctxA);
        ctxA.executor().runPending(); // A's probes are out

        FakePluginContext ctxB = context(map("backends", List.of("a:1", "b:2"),
                "health_check", map("type", "tcp", "rise", 2, "fall", 3)), carried);
        LoadBalancer lbB = started(ctxB);
        // The old instance still serves its last requests, and its probes still answer: ignored.
        for (int i = 0; i < 4; i++) {
            ctxA.probes().completeAll(FakeHealthProbes.refused());
            ctxA.executor().runPending();
        }
        assertTrue(defaultGroup(lbB).health[0].up(), "the old instance's checks no longer count");
        lbA.stop();
        assertFalse(ctxB.executor().pending().isEmpty(), "stopping the old instance leaves the new one's checks alone");

        for (int i = 0; i < 3; i++) {
            ctxB.executor().runPending();
            ctxB.probes().completeAll(FakeHealthProbes.refused());
        }
        assertFalse(defaultGroup(lbB).health[0].up(), "the new instance's checks do");
        lbB.stop();
    }

    @Test
    void aRefusedReloadDropsNothing() {
        ConcurrentMap<String, Object> carried = new ConcurrentHashMap<>();
        LoadBalancer lbA = started(context(map("backends", List.of("a:1", "b:2"),
                "passive", map("max_fails", 1)), carried));
        failConnect(lbA, "default", "a:1");
        assertThrows(InvalidConfigException.class, () -> started(context(map("backends",
                List.of("c:3"), "policy", "nope"), carried)));
        assertTrue(addressesIn(carried).containsAll(Set.of("default/a:1", "default/b:2")),
                "the old instance keeps serving with its state");
        assertFalse(((BackendHealth) carried.values().stream()
                .filter(v -> v instanceof BackendHealth h && h.address().equals("a:1")).findFirst().orElseThrow()).up());
    }

    @Test
    void eachGroupsSharedStateIsCarriedAndDroppedWithTheGroup() {
        ConcurrentMap<String, Object> carried = new ConcurrentHashMap<>();
        started(context(map("groups", map(
                "api", map("backends", List.of("a:1")),
                "web", map("backends", List.of("b:2"))),
                "default_group", "api"), carried));
        Object api = carried.get("group|api");
        assertTrue(api instanceof GroupState, carried.toString());
        assertTrue(carried.get("group|web") instanceof GroupState);

        started(context(map("groups", map("api", map("backends", List.of("a:1", "c:3"))),
                "default_group", "api"), carried));
        assertSame(api, carried.get("group|api"), "the group stayed: so does what its instances share");
        assertFalse(carried.containsKey("group|web"), "the group went: so does its state");

        assertThrows(InvalidConfigException.class, () -> started(context(map("groups", map(
                "api", map("backends", List.of("a:1")),
                "new", map("backends", List.of("d:4"), "panic_threshold", "200%"))), carried)));
        assertFalse(carried.containsKey("group|new"), "a refused configuration adds nothing");
    }
}
