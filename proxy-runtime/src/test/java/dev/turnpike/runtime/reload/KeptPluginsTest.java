package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.runtime.config.ChainEntry;
import dev.turnpike.runtime.config.ChainEntry.Presence;
import dev.turnpike.runtime.plugin.FakePlugins;
import dev.turnpike.runtime.plugin.LoadedPlugin;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which versions run on after their jar went: the ones a required entry in force uses, until it stops. */
class KeptPluginsTest {

    private static final Path DIR = Path.of("/srv/turnpike/plugins");

    private final KeptPlugins kept = new KeptPlugins();
    private final LoadedPlugin gate = FakePlugins.of("api-key", "1.0.0", DIR);
    private final LoadedPlugin lb = FakePlugins.of("load-balancer", "2.0.0", DIR);
    private final LoadedPlugin extra = FakePlugins.of("extra", "0.1.0", DIR);

    /** Entries at positions 0, 1, ...: id, then R (required) or O (optional). */
    private static List<ChainEntry> chain(String... idThenPresence) {
        List<ChainEntry> out = new ArrayList<>();
        for (int i = 0; i < idThenPresence.length; i += 2) {
            Presence p = idThenPresence[i + 1].equals("O") ? Presence.OPTIONAL : Presence.REQUIRED;
            out.add(new ChainEntry(idThenPresence[i], Map.of(), "plugins.chain[" + (i / 2) + "]", p));
        }
        return out;
    }

    @Test
    void aRequiredEntrysPluginWhoseJarWentIsKeptWithTheEntriesThatNameIt() {
        List<ChainEntry> chain = chain("api-key", "R", "load-balancer", "R", "api-key", "O");
        Map<String, LoadedPlugin> running = Map.of("api-key", gate, "load-balancer", lb);

        List<KeptPlugins.Kept> added = kept.afterScan(chain, running, Map.of("load-balancer", lb));

        assertEquals(1, added.size());
        assertSame(gate, added.get(0).plugin());
        assertEquals(List.of("plugins.chain[0]"), added.get(0).entries().stream().map(ChainEntry::path).toList());
        assertTrue(kept.keeps(gate));
        assertEquals(List.of(gate), List.copyOf(kept.versions()));
        // the chain is rebuilt from the jars and the kept version: both entries of api-key get it
        assertEquals(Map.of("api-key", gate, "load-balancer", lb), kept.overlay(Map.of("load-balancer", lb), chain));
    }

    @Test
    void aVersionKeptAlreadyIsNotNewsAtTheNextScan() {
        List<ChainEntry> chain = chain("api-key", "R");
        kept.afterScan(chain, Map.of("api-key", gate), Map.of());
        assertEquals(List.of(), kept.afterScan(chain, Map.of("api-key", gate), Map.of()));
        assertTrue(kept.keeps(gate));
    }

    @Test
    void anOptionalEntryKeepsNothing() {
        List<ChainEntry> chain = chain("api-key", "O", "load-balancer", "R");

        assertEquals(List.of(), kept.afterScan(chain, Map.of("api-key", gate, "load-balancer", lb), Map.of("load-balancer", lb)));
        assertFalse(kept.keeps(gate));
        assertEquals(Map.of("load-balancer", lb), kept.overlay(Map.of("load-balancer", lb), chain));
    }

    @Test
    void aPluginTheChainDoesNotNameIsNotKept() {
        List<ChainEntry> chain = chain("load-balancer", "R");

        assertEquals(List.of(), kept.afterScan(chain, Map.of("load-balancer", lb), Map.of("load-balancer", lb)));
        assertFalse(kept.keeps(extra));
        assertTrue(kept.versions().isEmpty());
    }

    @Test
    void aConfigurationWithoutTheEntryLetsTheKeptVersionGo() {
        kept.afterScan(chain("api-key", "R", "load-balancer", "R"), Map.of("api-key", gate, "load-balancer", lb),
                Map.of("load-balancer", lb));
        List<ChainEntry> without = chain("load-balancer", "R");

        // the candidate chain is built without it...
        assertEquals(Map.of("load-balancer", lb), kept.overlay(Map.of("load-balancer", lb), without));
        // ...and once that chain is in force, it is let go
        assertEquals(List.of(gate), kept.retainNamedBy(without));
        assertFalse(kept.keeps(gate));
        assertEquals(List.of(), kept.retainNamedBy(without));
    }

    @Test
    void aConfigurationThatMakesTheEntryOptionalLetsTheKeptVersionGoToo() {
        kept.afterScan(chain("api-key", "R"), Map.of("api-key", gate), Map.of());
        List<ChainEntry> optional = chain("api-key", "O");

        assertEquals(Map.of(), kept.overlay(Map.of(), optional));
        assertEquals(List.of(gate), kept.retainNamedBy(optional));
    }

    @Test
    void aConfigurationThatStillNamesItKeepsIt() {
        List<ChainEntry> chain = chain("api-key", "R");
        kept.afterScan(chain, Map.of("api-key", gate), Map.of());

        assertEquals(List.of(), kept.retainNamedBy(chain("load-balancer", "R", "api-key", "R")));
        assertTrue(kept.keeps(gate));
    }

    @Test
    void aJarProvidingTheIdAgainReplacesTheKeptVersion() {
        List<ChainEntry> chain = chain("api-key", "R");
        kept.afterScan(chain, Map.of("api-key", gate), Map.of());
        LoadedPlugin back = FakePlugins.of("api-key", "1.1.0", DIR);

        assertEquals(List.of(gate), kept.releaseProvided(Map.of("api-key", back)));
        assertFalse(kept.keeps(gate));
        assertEquals(Map.of("api-key", back), kept.overlay(Map.of("api-key", back), chain));
        assertEquals(List.of(), kept.afterScan(chain, Map.of("api-key", gate), Map.of("api-key", back)));
    }

    @Test
    void theVersionKeptIsTheOneRunningNotAnotherOfTheSameId() {
        // a newer jar that never went into force (it refused its config), then removed: the running one stays
        LoadedPlugin running = FakePlugins.of("api-key", "1.0.0", DIR);
        List<KeptPlugins.Kept> added = kept.afterScan(chain("api-key", "R"), Map.of("api-key", running), Map.of());
        assertSame(running, added.get(0).plugin());
    }
}
