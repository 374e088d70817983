package dev.turnpike.plugins.roundrobin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RoundRobinTest {

    private static final String PREFIX = "plugins.chain[0].config";

    /** The runtime's context, reduced to what start() reads. */
    private record Context(ConfigSection config) implements PluginContext {
        @Override
        public String pluginId() {
            return "round-robin";
        }

        @Override
        public String pluginVersion() {
            return "test";
        }

        @Override
        public dev.turnpike.api.metrics.PluginMetrics metrics() {
            return dev.turnpike.api.metrics.PluginMetrics.noop();
        }
    }

    private static ConfigSection config(Map<String, Object> values) {
        return ConfigSection.of(PREFIX, values);
    }

    private static RoundRobin started(Object backends) {
        RoundRobin rr = new RoundRobin();
        rr.start(new Context(config(Map.of("backends", backends))));
        return rr;
    }

    private static List<String> next(RoundRobin rr, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Outcome o = rr.upstreamPeer(null, null);
            assertEquals(Outcome.Kind.UPSTREAM, o.kind());
            out.add(o.peer().address());
        }
        return out;
    }

    @Test
    void alternatesBetweenTwoBackends() {
        RoundRobin rr = started(List.of("10.0.0.1:8080", "10.0.0.2:8081"));
        assertEquals(List.of("10.0.0.1:8080", "10.0.0.2:8081", "10.0.0.1:8080", "10.0.0.2:8081"), next(rr, 4));
    }

    @Test
    void rotatesOverThreeBackendsInConfiguredOrder() {
        RoundRobin rr = started(List.of("a:1", "b:2", "[::1]:3"));
        assertEquals(List.of("a:1", "b:2", "[::1]:3", "a:1", "b:2", "[::1]:3", "a:1"), next(rr, 7));
    }

    @Test
    void returnsTheSamePeerInstancesEveryRound() {
        // The runtime keys its connection pools on peers: one object per backend, not per request.
        RoundRobin rr = started(List.of("a:1", "b:2"));
        Peer first = rr.upstreamPeer(null, null).peer();
        rr.upstreamPeer(null, null);
        assertSame(first, rr.upstreamPeer(null, null).peer());
    }

    @Test
    void spreadsEvenlyUnderConcurrentCallers() throws Exception {
        RoundRobin rr = started(List.of("a:1", "b:2", "c:3"));
        Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        int threads = 4;
        int perThread = 30_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        counts.computeIfAbsent(rr.upstreamPeer(null, null).peer().address(), k -> new AtomicInteger())
                                .incrementAndGet();
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        // A lost or duplicated counter increment would make the shares unequal.
        int each = threads * perThread / 3;
        assertEquals(Map.of("a:1", each, "b:2", each, "c:3", each),
                Map.of("a:1", counts.get("a:1").get(), "b:2", counts.get("b:2").get(), "c:3", counts.get("c:3").get()));
    }

    @Test
    void appliesTimeoutsToEveryPeer() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("backends", List.of("a:1", "b:2"));
        values.put("connect_timeout", "250ms");
        values.put("read_timeout", "5s");
        ConfigSection config = config(values);
        RoundRobin rr = new RoundRobin();
        rr.start(new Context(config));

        for (Peer p : rr.peers()) {
            assertEquals(Duration.ofMillis(250), p.connectTimeout());
            assertEquals(Duration.ofSeconds(5), p.readTimeout());
        }
        // Every key it knows is read, so the host's unknown-key check does not trip on them.
        assertEquals(List.of(), config.unreadKeys());
    }

    @Test
    void leavesTimeoutsToTheRuntimeWhenUnset() {
        RoundRobin rr = started(List.of("a:1"));
        assertEquals(null, rr.peers().get(0).connectTimeout());
        assertEquals(null, rr.peers().get(0).readTimeout());
    }

    @Test
    void refusesABadBackendNamingItsIndex() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> started(List.of("a:1", "no-port-here", "c:3")));
        assertEquals(PREFIX + ".backends[1]", e.key());
        assertTrue(e.reason().contains("no-port-here"), e.reason());
    }

    @Test
    void refusesAPortOutOfRange() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> started(List.of("a:70000")));
        assertEquals(PREFIX + ".backends[0]", e.key());
    }

    @Test
    void refusesAnEmptyList() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> started(List.of()));
        assertEquals(PREFIX + ".backends", e.key());
    }

    @Test
    void refusesAMissingList() {
        RoundRobin rr = new RoundRobin();
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> rr.start(new Context(config(Map.of()))));
        assertEquals(PREFIX + ".backends", e.key());
        assertTrue(e.reason().startsWith("required"), e.reason());
    }

    @Test
    void refusesBackendsThatAreNotAList() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> started("a:1"));
        assertEquals(PREFIX + ".backends", e.key());
    }

    @Test
    void refusesAZeroTimeout() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("backends", List.of("a:1"));
        values.put("read_timeout", "0s");
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> new RoundRobin().start(new Context(config(values))));
        assertEquals(PREFIX + ".read_timeout", e.key());
    }

    @Test
    void refusesATimeoutThatIsNotADuration() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("backends", List.of("a:1"));
        values.put("connect_timeout", "soon");
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> new RoundRobin().start(new Context(config(values))));
        assertEquals(PREFIX + ".connect_timeout", e.key());
    }

    @Test
    void proceedsWhenCalledBeforeStart() {
        assertEquals(Outcome.Kind.PROCEED, new RoundRobin().upstreamPeer(null, null).kind());
    }
}
