package dev.turnpike.testkit.phases;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ChainKind;
import dev.turnpike.api.ConnectionPlugin;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FakePluginContextTest {

    /** Reads {@code rate} (required, a number) and {@code window} (a duration); counts stops. */
    static final class Reader implements ProxyPlugin<Void> {
        double rate;
        Duration window;
        int stops;

        @Override
        public void start(PluginContext context) {
            ConfigSection c = context.config();
            if (!c.has("rate")) {
                throw c.invalid("rate", "required");
            }
            rate = c.number("rate", 0);
            window = c.duration("window", Duration.ofSeconds(1));
        }

        @Override
        public void stop() {
            stops++;
        }
    }

    static final class ConnectionReader implements ProxyPlugin<Void>, ConnectionPlugin<Void> {
        @Override
        public void start(PluginContext context) {
            context.config().raw();
        }
    }

    @Test
    void startsAPluginThatReadsEveryKey() {
        FakePluginContext ctx = new FakePluginContext(FakePluginContext.mapping("rate", 2.5, "window", "250ms"));
        Reader r = ctx.start(new Reader());
        assertEquals(2.5, r.rate);
        assertEquals(Duration.ofMillis(250), r.window);
        assertEquals(List.of(), ctx.config().unreadKeys());
        assertEquals("plugins.chain[0].config", ctx.config().path());
        assertEquals(0, r.stops);
    }

    @Test
    void aKeyThePluginNeverReadIsRefusedAsUnknownAndTheInstanceStopped() {
        FakePluginContext ctx = new FakePluginContext(Map.of("rate", 1, "windw", "1s"));
        Reader r = new Reader();
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ctx.start(r));
        assertEquals("plugins.chain[0].config.windw", e.key());
        assertEquals("unknown key windw (did you mean window?)", e.reason());
        assertEquals("plugins.chain[0].config.windw: unknown key windw (did you mean window?)", e.getMessage());
        assertEquals(1, r.stops);
    }

    @Test
    void thePluginsOwnRefusalNamesTheFullKey() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> new FakePluginContext(Map.of("rate", "fast")).start(new Reader()));
        assertEquals("plugins.chain[0].config.rate", e.key());
        assertTrue(e.reason().contains("expected a number"), e.reason());
        InvalidConfigException missing = assertThrows(InvalidConfigException.class,
                () -> new FakePluginContext().path("plugins.chain[3].config").start(new Reader()));
        assertEquals("plugins.chain[3].config.rate", missing.key());
    }

    @Test
    void aKeyBuiltByHandGetsTheSectionsPath() {
        ProxyPlugin<Void> byHand = new ProxyPlugin<>() {
            @Override
            public void start(PluginContext context) {
                throw new InvalidConfigException("limits[2]", "too many");
            }
        };
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> new FakePluginContext().start(byHand));
        assertEquals("plugins.chain[0].config.limits[2]", e.key());
        assertEquals("too many", e.reason());
    }

    @Test
    void anyOtherFailureToStartNamesTheEntryAndThePlugin() {
        ProxyPlugin<Void> broken = new ProxyPlugin<>() {
            @Override
            public void start(PluginContext context) throws Exception {
                throw new java.io.IOException("cannot read users.txt");
            }
        };
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> new FakePluginContext().pluginId("auth").start(broken));
        assertEquals("plugins.chain[0]", e.key());
        assertEquals("plugin auth failed to start: cannot read users.txt", e.reason());
        assertInstanceOf(java.io.IOException.class, e.getCause());
    }

    @Test
    void aTcpChainTakesOnlyAPluginWithConnectionPhases() {
        FakePluginContext tcp = new FakePluginContext(Map.of("rate", 1)).chainKind(ChainKind.TCP).pluginId("reader");
        Reader r = new Reader();
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> tcp.start(r));
        assertEquals("tcp[0].chain[0].id", e.key());
        assertTrue(e.reason().contains("plugin reader has no connection-level phases"), e.reason());
        assertEquals(0, r.rate, "refused before start");
        FakePluginContext ok = new FakePluginContext(Map.of("a", 1)).chainKind(ChainKind.TCP);
        ok.start(new ConnectionReader());
        assertEquals("tcp[0].chain[0].config", ok.config().path());
        assertEquals(ChainKind.TCP, ok.chainKind());
    }

    @Test
    void setUpComesBeforeTheConfigIsRead() {
        FakePluginContext ctx = new FakePluginContext();
        ctx.config();
        assertThrows(IllegalStateException.class, () -> ctx.path("x.config"));
        assertThrows(IllegalStateException.class, () -> ctx.pluginId("x"));
        assertThrows(IllegalStateException.class, () -> ctx.chainKind(ChainKind.TCP));
        assertThrows(IllegalArgumentException.class, () -> FakePluginContext.mapping("a"));
    }

    @Test
    void theNextInstanceGetsACopyOfTheCarriedStateAndSharesTheRest() {
        FakePluginContext first = new FakePluginContext(Map.of("rate", 1)).pluginId("lb").path("plugins.chain[1].config");
        Object health = new Object();
        first.carriedState().put("health", health);
        FakePluginContext second = first.next(Map.of("rate", 2));
        assertSame(health, second.carriedState().get("health"), "the same value objects");
        second.carriedState().remove("health");
        assertTrue(first.carriedState().containsKey("health"), "a copy of the map");
        assertSame(first.metrics(), second.metrics());
        assertSame(first.executor(), second.executor());
        assertSame(first.probes(), second.probes());
        assertEquals("plugins.chain[1].config", second.config().path());
        assertEquals("lb", second.pluginId());
        assertEquals(2.0, second.start(new Reader()).rate);
        assertFalse(first.config() == second.config(), "a fresh section: reads are tracked per instance");
    }
}
