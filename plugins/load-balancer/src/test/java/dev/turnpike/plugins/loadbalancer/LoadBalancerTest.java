package dev.turnpike.plugins.loadbalancer;

import static dev.turnpike.plugins.loadbalancer.LbTestSupport.PREFIX;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.context;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.defaultGroup;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.map;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.pickAddress;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.req;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.started;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.testkit.phases.FakePluginContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The one-group form: rotation, peers, timeouts, and the refusals of a bad backend list. */
class LoadBalancerTest {

    private static LoadBalancer withBackends(Object backends) {
        return started(map("backends", backends));
    }

    private static List<String> next(LoadBalancer lb, int n) {
        Session s = req().status(200).build();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Attempts a = lb.newContext(s);
            out.add(pickAddress(lb, s, a));
            lb.logging(s, a);
        }
        return out;
    }

    private static InvalidConfigException refused(Map<String, Object> config) {
        return assertThrows(InvalidConfigException.class, () -> started(config));
    }

    @Test
    void alternatesBetweenTwoBackends() {
        LoadBalancer lb = withBackends(List.of("10.0.0.1:8080", "10.0.0.2:8081"));
        assertEquals(List.of("10.0.0.1:8080", "10.0.0.2:8081", "10.0.0.1:8080", "10.0.0.2:8081"), next(lb, 4));
    }

    @Test
    void rotatesOverThreeBackendsInConfiguredOrder() {
        LoadBalancer lb = withBackends(List.of("a:1", "b:2", "[::1]:3"));
        assertEquals(List.of("a:1", "b:2", "[::1]:3", "a:1", "b:2", "[::1]:3", "a:1"), next(lb, 7));
    }

    @Test
    void oneGroupFormIsTheDefaultGroup() {
        LoadBalancer lb = withBackends(List.of("a:1", "b:2"));
        assertEquals(List.of(LoadBalancer.DEFAULT_GROUP), List.copyOf(lb.groups().keySet()));
        Group g = defaultGroup(lb);
        assertEquals(2, g.size());
        assertEquals("a:1", g.peer(0).address());
        assertEquals("b:2", g.peer(1).address());
        assertEquals(Policy.ROUND_ROBIN, g.settings.policy());
    }

    @Test
    void returnsTheSamePeerInstancesEveryRound() {
        // The runtime keys its connection pools on peers: one object per backend, not per request.
        LoadBalancer lb = withBackends(List.of("a:1", "b:2"));
        Session s = req().build();
        Peer first = lb.upstreamPeer(s, lb.newContext(s)).peer();
        lb.upstreamPeer(s, lb.newContext(s));
        assertSame(first, lb.upstreamPeer(s, lb.newContext(s)).peer());
        assertSame(defaultGroup(lb).peer(0), first);
    }

    @Test
    void newContextIsFreshPerRequest() {
        LoadBalancer lb = withBackends(List.of("a:1"));
        Session s = req().build();
        Attempts a = lb.newContext(s);
        Attempts b = lb.newContext(s);
        assertNotSame(a, b);
        assertEquals(-1, a.current);
        assertNull(a.group);
    }

    @Test
    void spreadsEvenlyUnderConcurrentCallers() throws Exception {
        LoadBalancer lb = withBackends(List.of("a:1", "b:2", "c:3"));
        Session s = req().status(200).build();
        Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        int threads = 4;
        int perThread = 30_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        Attempts a = new Attempts();
                        counts.computeIfAbsent(lb.upstreamPeer(s, a).peer().address(), k -> new AtomicInteger())
                                .incrementAndGet();
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        // A lost or duplicated cursor increment would make the shares unequal.
        int each = threads * perThread / 3;
        assertEquals(Map.of("a:1", each, "b:2", each, "c:3", each),
                Map.of("a:1", counts.get("a:1").get(), "b:2", counts.get("b:2").get(), "c:3", counts.get("c:3").get()));
        // Every pick was counted as in flight (nothing was logged): the counts add up exactly too.
        Group g = defaultGroup(lb);
        for (int i = 0; i < 3; i++) {
            assertEquals(each, g.health[i].active().get());
        }
    }

    @Test
    void appliesTimeoutsToEveryPeer() {
        FakePluginContext ctx = context(map(
                "backends", List.of("a:1", "b:2", map("address", "c:3", "weight", 2)),
                "connect_timeout", "250ms",
                "read_timeout", "5s"));
        LoadBalancer lb = started(ctx);

        Group g = defaultGroup(lb);
        assertEquals(3, g.size());
        for (int i = 0; i < g.size(); i++) {
            assertEquals(Duration.ofMillis(250), g.peer(i).connectTimeout());
            assertEquals(Duration.ofSeconds(5), g.peer(i).readTimeout());
        }
        // What is handed to the runtime is the peer with its timeouts.
        Session s = req().build();
        assertEquals(Duration.ofMillis(250), lb.upstreamPeer(s, lb.newContext(s)).peer().connectTimeout());
        // Every key it knows is read, so the host's unknown-key check does not trip on them.
        assertEquals(List.of(), ctx.config().unreadKeys());
    }

    @Test
    void leavesTimeoutsToTheRuntimeWhenUnset() {
        LoadBalancer lb = withBackends(List.of("a:1"));
        assertNull(defaultGroup(lb).peer(0).connectTimeout());
        assertNull(defaultGroup(lb).peer(0).readTimeout());
    }

    @Test
    void refusesABadBackendNamingItsIndex() {
        InvalidConfigException e = refused(map("backends", List.of("a:1", "no-port-here", "c:3")));
        assertEquals(PREFIX + ".backends[1]", e.key());
        assertTrue(e.reason().contains("no-port-here"), e.reason());
    }

    @Test
    void refusesAPortOutOfRange() {
        InvalidConfigException e = refused(map("backends", List.of("a:70000")));
        assertEquals(PREFIX + ".backends[0]", e.key());
    }

    @Test
    void refusesAnEmptyList() {
        InvalidConfigException e = refused(map("backends", List.of()));
        assertEquals(PREFIX + ".backends", e.key());
    }

    @Test
    void refusesAMissingList() {
        InvalidConfigException e = refused(map());
        assertEquals(PREFIX + ".backends", e.key());
        assertTrue(e.reason().startsWith("required"), e.reason());
    }

    @Test
    void refusesBackendsThatAreNotAList() {
        InvalidConfigException e = refused(map("backends", "a:1"));
        assertEquals(PREFIX + ".backends", e.key());
    }

    @Test
    void refusesABackendListedTwice() {
        // Listing a backend twice used to double its share; now that is what weight is for.
        InvalidConfigException e = refused(map("backends", List.of("a:1", "b:2", "a:1")));
        assertEquals(PREFIX + ".backends[2]", e.key());
        assertTrue(e.reason().contains("weight"), e.reason());
    }

    @Test
    void refusesABackendListedTwiceInBothForms() {
        InvalidConfigException e = refused(map("backends", List.of(map("address", "a:1", "weight", 2), "a:1")));
        assertEquals(PREFIX + ".backends[1]", e.key());
    }

    @Test
    void refusesAZeroTimeout() {
        InvalidConfigException e = refused(map("backends", List.of("a:1"), "read_timeout", "0s"));
        assertEquals(PREFIX + ".read_timeout", e.key());
    }

    @Test
    void refusesATimeoutThatIsNotADuration() {
        InvalidConfigException e = refused(map("backends", List.of("a:1"), "connect_timeout", "soon"));
        assertEquals(PREFIX + ".connect_timeout", e.key());
    }

    @Test
    void proceedsWhenCalledBeforeStart() {
        LoadBalancer lb = new LoadBalancer();
        Session s = req().build();
        assertEquals(Outcome.Kind.PROCEED, lb.upstreamPeer(s, lb.newContext(s)).kind());
    }

    @Test
    void loggingWithoutAPeerIsHarmless() {
        LoadBalancer lb = withBackends(List.of("a:1"));
        Session s = req().status(0).build();
        Attempts a = lb.newContext(s);
        lb.logging(s, a); // the request never reached upstream_peer (answered by an earlier plugin)
        assertEquals(0, defaultGroup(lb).health[0].active().get());
        assertTrue(defaultGroup(lb).health[0].up());
    }

    @Test
    void refusedStartLeavesNothingScheduled() {
        FakePluginContext ctx = context(map(
                "groups", map("api", map("backends", List.of("a:1"), "health_check", map("type", "tcp"))),
                "routes", List.of(map("path_prefix", "/x", "group", "nope"))));
        assertThrows(InvalidConfigException.class, () -> started(ctx));
        assertEquals(List.of(), ctx.executor().pending(), "a refused start must not leave health checks running");
    }
}
