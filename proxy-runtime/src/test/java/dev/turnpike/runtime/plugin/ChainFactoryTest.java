package dev.turnpike.runtime.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import ch.qos.logback.classic.Level;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.chain.ConnectionChain;
import dev.turnpike.runtime.chain.ConnectionPhase;
import dev.turnpike.runtime.config.ChainEntry;
import dev.turnpike.runtime.plugin.testplugins.Journal;
import dev.turnpike.runtime.plugin.testplugins.Recorder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChainFactoryTest {

    @TempDir
    Path drop;

    private PluginHost host;
    private Map<String, LoadedPlugin> loaded;
    private ChainFactory factory;

    @BeforeEach
    void setUp() throws IOException {
        Journal.clear();
        TestJars.copyLoadBalancer(drop, "load-balancer.jar");
        TestJars.pluginJar(drop, "recorder.jar", "recorder", "2.5.0", Recorder.class);
        host = TestJars.hostSharingJournal(drop);
        loaded = host.loadAll();
        assertEquals(2, loaded.size(), "setup: " + loaded);
        factory = new ChainFactory(drop, dev.turnpike.api.metrics.PluginMetrics.noop());
    }

    @AfterEach
    void tearDown() {
        host.close();
    }

    /** Entries at positions 0, 1, ... as the config loader would make them. */
    private static List<ChainEntry> chain(Object... idThenConfig) {
        List<ChainEntry> out = new ArrayList<>();
        for (int i = 0; i < idThenConfig.length; i += 2) {
            @SuppressWarnings("unchecked")
            Map<String, Object> config = (Map<String, Object>) idThenConfig[i + 1];
            out.add(new ChainEntry((String) idThenConfig[i], config, "plugins.chain[" + (i / 2) + "]"));
        }
        return out;
    }

    private static Map<String, Object> backends(String... hostPorts) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backends", List.of(hostPorts));
        return m;
    }

    private static Map<String, Object> with(Map<String, Object> base, String key, Object value) {
        Map<String, Object> m = new LinkedHashMap<>(base);
        m.put(key, value);
        return m;
    }

    @Test
    void buildsTheChainInConfiguredOrderWithStartedInstances() {
        Chain chain = factory.build(chain(
                "recorder", Map.of("name", "first"),
                "load-balancer", backends("a:1", "b:2", "c:3")), loaded);

        assertEquals(List.of("recorder", "load-balancer"), chain.links().stream().map(ChainLink::pluginId).toList());
        assertEquals("2.5.0", chain.link(0).version());
        assertEquals(loaded.get("load-balancer").version(), chain.link(1).version());
        // The context carried the plugin's own identity.
        assertEquals(List.of("start:first as recorder@2.5.0"), Journal.events());
        ChainLink rr = chain.link(1);
        List<String> peers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Outcome o = rr.plugin().upstreamPeer(null, rr.plugin().newContext(null));
            peers.add(o.peer().address());
        }
        assertEquals(List.of("a:1", "b:2", "c:3", "a:1"), peers);

        chain.stop();
        assertEquals("stop:first", Journal.events().get(1));
    }

    /** An entry of tcp listener {@code listener}'s chain, at position {@code index}. */
    private static ChainEntry tcpEntry(String listener, int index, String id, Map<String, Object> config) {
        return new ChainEntry(id, config, "tcp[0].chain[" + index + "]", ChainEntry.Presence.REQUIRED, listener);
    }

    @Test
    void tcpEntriesBuildTheirListenersConnectionChainBesideTheHttpOne() {
        List<ChainEntry> entries = new ArrayList<>(chain("recorder", Map.of("name", "http")));
        entries.add(tcpEntry("pg", 0, "load-balancer", backends("a:1", "b:2")));
        Chain chain = factory.build(entries, loaded);

        assertEquals(2, chain.size(), "one generation holds both");
        assertEquals(0, chain.positions(Chain.Phase.UPSTREAM_PEER).length,
                "the tcp instance takes no part in the HTTP phases");
        ConnectionChain pg = chain.connections("pg");
        assertEquals(1, pg.size());
        assertEquals(1, pg.positions(ConnectionPhase.UPSTREAM_PEER).length);
        assertEquals(1, pg.positions(ConnectionPhase.FAIL_TO_CONNECT).length);
        assertEquals(1, pg.positions(ConnectionPhase.LOGGING).length);
        assertEquals(0, pg.positions(ConnectionPhase.CONNECTION_FILTER).length, "load-balancer filters nothing");
        assertNull(chain.connections("other"));
        chain.stop();
    }

    @Test
    void aTcpInstanceKnowsItsChainKind() {
        Map<String, Object> routed = new LinkedHashMap<>();
        routed.put("groups", Map.of("a", backends("a:1")));
        routed.put("routes", List.of(Map.of("host", "x.test", "group", "a")));
        assertNotNull(factory.build(chain("load-balancer", routed), loaded), "routes are fine for HTTP");
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> factory.build(List.of(tcpEntry("pg", 0, "load-balancer", routed)), loaded));
        assertEquals("tcp[0].chain[0].config.routes", e.key(), e.getMessage());
    }

    @Test
    void aTcpEntryWhosePluginHasNoConnectionPhasesIsRefusedBeforeItStarts() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> factory.build(List.of(tcpEntry("pg", 0, "recorder", Map.of("name", "tcp"))), loaded));
        assertEquals("tcp[0].chain[0].id", e.key());
        assertTrue(e.getMessage().contains("plugin recorder has no connection-level phases"), e.getMessage());
        assertEquals(List.of(), Journal.events(), "never started");
    }

    @Test
    void eachEntryGetsItsOwnInstance() {
        Chain chain = factory.build(chain(
                "load-balancer", backends("a:1", "b:2"),
                "load-balancer", backends("c:3", "d:4")), loaded);

        assertNotSame(chain.link(0).plugin(), chain.link(1).plugin());
        assertEquals("a:1", chain.link(0).plugin().upstreamPeer(null, chain.link(0).plugin().newContext(null)).peer().address());
        assertEquals("c:3", chain.link(1).plugin().upstreamPeer(null, chain.link(1).plugin().newContext(null)).peer().address());
    }

    @Test
    void anUnknownKeyIsRefusedWithItsFullPath() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> factory.build(chain(
                "load-balancer", with(backends("a:1"), "bogus", true)), loaded));

        assertEquals("plugins.chain[0].config.bogus", e.key());
        assertEquals("unknown key bogus", e.reason());
    }

    @Test
    void anInstanceThatLeftAKeyUnreadIsStopped() {
        assertThrows(InvalidConfigException.class, () -> factory.build(chain(
                "recorder", Map.of("name", "a", "colour", "blue")), loaded));

        assertEquals(List.of("start:a as recorder@2.5.0", "stop:a"), Journal.events());
    }

    @Test
    void aBadBackendIsRefusedWithItsIndexUnderTheEntrysPath() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> factory.build(chain(
                "load-balancer", backends("a:1", "nonsense")), loaded));

        assertEquals("plugins.chain[0].config.backends[1]", e.key());
    }

    @Test
    void theEntrysPositionIsInThePath() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> factory.build(chain(
                "recorder", Map.of(),
                "load-balancer", backends("a:1", "b:99999")), loaded));

        assertEquals("plugins.chain[1].config.backends[1]", e.key());
    }

    @Test
    void startedInstancesAreStoppedLastFirstWhenALaterEntryFails() {
        assertThrows(InvalidConfigException.class, () -> factory.build(chain(
                "recorder", Map.of("name", "a"),
                "recorder", Map.of("name", "b"),
                "load-balancer", backends()), loaded));

        assertEquals(List.of("start:a as recorder@2.5.0", "start:b as recorder@2.5.0", "stop:b", "stop:a"),
                Journal.events());
    }

    @Test
    void anyOtherStartFailureNamesTheEntryAndThePlugin() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> factory.build(chain(
                "recorder", Map.of("name", "a"),
                "recorder", Map.of("name", "b", "fail", "disk on fire")), loaded));

        assertEquals("plugins.chain[1]", e.key());
        assertEquals("plugin recorder failed to start: disk on fire", e.reason());
        assertInstanceOf(IllegalStateException.class, e.getCause());
        // b never started, so only a is stopped.
        assertEquals(List.of("start:a as recorder@2.5.0", "start:b as recorder@2.5.0", "stop:a"), Journal.events());
    }

    @Test
    void aRelativeKeyFromAPluginIsPutUnderItsSection() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> factory.build(chain(
                "recorder", Map.of("reject", "port")), loaded));

        assertEquals("plugins.chain[0].config.port", e.key());
        assertEquals("rejected by the test", e.reason());
    }

    @Test
    void aRequiredEntryForAPluginThatIsNotLoadedRefusesTheChainBeforeAnythingStarts() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> factory.build(chain(
                "recorder", Map.of("name", "a"),
                "rate-limit", Map.of("rps", 10),
                "load-balancer", backends("a:1")), loaded));

        assertEquals("plugins.chain[1].id", e.key());
        assertTrue(e.reason().startsWith("no plugin 'rate-limit' is loaded from " + drop
                + " (loaded there: load-balancer, recorder)"), e.reason());
        assertEquals(List.of(), Journal.events(), "nothing was started, so nothing needs stopping");
    }

    @Test
    void anOptionalEntryForAPluginThatIsNotLoadedIsLeftOutSilently() {
        List<ChainEntry> entries = List.of(
                new ChainEntry("rate-limit", Map.of("rps", 10), "plugins.chain[0]", ChainEntry.Presence.OPTIONAL),
                new ChainEntry("load-balancer", backends("a:1"), "plugins.chain[1]", ChainEntry.Presence.OPTIONAL));
        try (LogCapture log = LogCapture.of(ChainFactory.class)) {
            ChainPlan plan = factory.plan(entries, loaded);
            Chain chain = factory.build(plan, (entry, plugin) -> null, new CarriedStates().begin());

            assertEquals(List.of("load-balancer"), chain.links().stream().map(ChainLink::pluginId).toList());
            assertEquals(List.of("plugins.chain[0]"), plan.leftOut().stream().map(ChainEntry::path).toList());
            // Whether that is news is the caller's to say (the reloader logs it once, when it happens).
            assertEquals(List.of(), log.messages(Level.ERROR));
            assertEquals(List.of(), log.messages(Level.WARN));
        }
    }

    @Test
    void anEmptyChainIsValid() {
        Chain chain = factory.build(List.of(), loaded);
        assertEquals(0, chain.size());
        assertTrue(Journal.events().isEmpty());
    }

    @Test
    void carriedStateIsACopyThatCountsOnlyOnceItsBuildIsCommitted() {
        CarriedStates states = new CarriedStates();
        LoadedPlugin lb = loaded.get("load-balancer");
        String key = "load-balancer#0";
        Object health = new Object();

        CarriedStates.Build first = states.begin();
        java.util.concurrent.ConcurrentMap<String, Object> running = first.stateFor(key, lb);
        running.put("health", health);
        first.commit();

        CarriedStates.Build refused = states.begin();
        java.util.concurrent.ConcurrentMap<String, Object> copy = refused.stateFor(key, lb);
        assertSame(health, copy.get("health"), "the next instance gets the same values");
        assertNotSame(running, copy, "in a map of its own");
        copy.remove("health"); // what a refused instance did before it was stopped
        copy.put("stray", new Object());

        CarriedStates.Build kept = states.begin();
        kept.kept(key, lb); // the instance in force stays, and keeps writing its own map
        kept.commit();
        Object late = new Object();
        running.put("late", late);

        java.util.concurrent.ConcurrentMap<String, Object> next = states.begin().stateFor(key, lb);
        assertSame(health, next.get("health"), "the refused build changed nothing in force");
        assertSame(late, next.get("late"), "what the kept instance wrote since comes along");
        assertFalse(next.containsKey("stray"));
        assertTrue(states.begin().stateFor(key, loaded.get("recorder")).isEmpty(),
                "another plugin (another class loader) starts from an empty map");
    }
}
