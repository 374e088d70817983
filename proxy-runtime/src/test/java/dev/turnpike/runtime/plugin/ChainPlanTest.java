package dev.turnpike.runtime.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.runtime.config.ChainEntry;
import dev.turnpike.runtime.config.ChainEntry.Presence;
import dev.turnpike.runtime.plugin.ChainPlan.Resolution;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which entries a chain can be built from: loaded, left out (optional) or missing (required). */
class ChainPlanTest {

    private static final Path DIR = Path.of("/srv/turnpike/plugins");

    private final LoadedPlugin gate = FakePlugins.of("api-key", "1.0.0", DIR);
    private final LoadedPlugin lb = FakePlugins.of("load-balancer", "2.0.0", DIR);

    /** Entries at positions 0, 1, ...: id, then R (required) or O (optional). */
    private static List<ChainEntry> chain(String... idThenPresence) {
        List<ChainEntry> out = new ArrayList<>();
        for (int i = 0; i < idThenPresence.length; i += 2) {
            Presence p = idThenPresence[i + 1].equals("O") ? Presence.OPTIONAL : Presence.REQUIRED;
            out.add(new ChainEntry(idThenPresence[i], Map.of(), "plugins.chain[" + (i / 2) + "]", p));
        }
        return out;
    }

    private static List<Resolution> resolutions(ChainPlan plan) {
        return plan.steps().stream().map(ChainPlan.Step::resolution).toList();
    }

    @Test
    void everyEntryLoadedIsBuiltInOrderAndNothingIsRefused() {
        ChainPlan plan = ChainPlan.of(chain("api-key", "R", "load-balancer", "O"), Map.of("api-key", gate, "load-balancer", lb), DIR);

        assertEquals(List.of(Resolution.LOADED, Resolution.LOADED), resolutions(plan));
        assertSame(gate, plan.toStart().get(0).plugin());
        assertSame(lb, plan.toStart().get(1).plugin());
        assertEquals(List.of(), plan.leftOut());
        assertEquals(List.of(), plan.missing());
        assertTrue(plan.refusal().isEmpty());
    }

    @Test
    void aRequiredEntryWhosePluginIsNotLoadedRefusesThePlanNamingItsIdKeyAndTheFolder() {
        ChainPlan plan = ChainPlan.of(chain("load-balancer", "R", "api-kee", "R"), Map.of("load-balancer", lb, "api-key", gate), DIR);

        assertEquals(List.of(Resolution.LOADED, Resolution.MISSING), resolutions(plan));
        InvalidConfigException e = plan.refusal().orElseThrow();
        assertEquals("plugins.chain[1].id", e.key());
        assertEquals("no plugin 'api-kee' is loaded from " + DIR + " (loaded there: api-key, load-balancer); add its jar "
                + "there or fix the id, or mark the entry 'optional: true' to run without it", e.reason());
    }

    @Test
    void severalMissingEntriesAreNamedInOneRefusalTheFirstAsItsKey() {
        ChainPlan plan = ChainPlan.of(chain("a", "R", "b", "O", "c", "R"), Map.of(), DIR);

        assertEquals(List.of(Resolution.MISSING, Resolution.LEFT_OUT, Resolution.MISSING), resolutions(plan));
        InvalidConfigException e = plan.refusal().orElseThrow();
        assertEquals("plugins.chain[0].id", e.key());
        assertTrue(e.reason().startsWith("no plugin 'a' is loaded from " + DIR + " (none is); "), e.reason());
        assertTrue(e.reason().endsWith("; also plugins.chain[2].id: no plugin 'c' is loaded from " + DIR), e.reason());
        assertEquals(List.of("a", "c"), plan.missing().stream().map(ChainEntry::pluginId).toList());
    }

    @Test
    void anOptionalEntryWhosePluginIsNotLoadedIsLeftOutAndRefusesNothing() {
        ChainPlan plan = ChainPlan.of(chain("api-key", "O", "load-balancer", "R"), Map.of("load-balancer", lb), DIR);

        assertEquals(List.of(Resolution.LEFT_OUT, Resolution.LOADED), resolutions(plan));
        assertTrue(plan.refusal().isEmpty());
        assertEquals(List.of(lb), plan.toStart().stream().map(ChainPlan.Step::plugin).toList());
        ChainEntry left = plan.leftOut().get(0);
        assertEquals("plugins.chain[0]", left.path());
        assertEquals("plugins.chain[0] (optional): no plugin 'api-key' is loaded from " + DIR
                + "; left out of the chain until it is", plan.describeLeftOut(left));
    }

    @Test
    void theSameIdTwiceResolvesBothEntriesToTheOneVersion() {
        ChainPlan plan = ChainPlan.of(chain("api-key", "R", "api-key", "O"), Map.of("api-key", gate), DIR);

        assertEquals(List.of(gate, gate), plan.toStart().stream().map(ChainPlan.Step::plugin).toList());
    }

    @Test
    void anEmptyChainIsAnEmptyPlan() {
        ChainPlan plan = ChainPlan.of(List.of(), Map.of(), DIR);
        assertEquals(List.of(), plan.steps());
        assertTrue(plan.refusal().isEmpty());
    }
}
