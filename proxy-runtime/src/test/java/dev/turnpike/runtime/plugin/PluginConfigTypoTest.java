package dev.turnpike.runtime.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.api.metrics.PluginMetrics;
import dev.turnpike.runtime.config.ChainEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: a misspelt key in the bundled rate-limit plugin's section (its jar, loaded as in
 * production) is reported as the unknown key with "did you mean", not as the key it misses.
 */
class PluginConfigTypoTest {

    @TempDir
    Path drop;

    /** What the chain factory refuses a [rate-limit] chain with, given its config section. */
    private InvalidConfigException refusal(Object... keyValues) throws Exception {
        Map<String, Object> config = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            config.put((String) keyValues[i], keyValues[i + 1]);
        }
        Files.copy(TestJars.builtJar("turnpike.pluginsBuildDir", "rate-limit", "rate-limit"), drop.resolve("rate-limit.jar"),
                StandardCopyOption.REPLACE_EXISTING);
        try (PluginHost host = new PluginHost(drop)) {
            Map<String, LoadedPlugin> plugins = host.loadAll();
            List<ChainEntry> chain = List.of(new ChainEntry("rate-limit", config, "plugins.chain[0]"));
            return assertThrows(InvalidConfigException.class,
                    () -> new ChainFactory(drop, PluginMetrics.noop()).build(chain, plugins));
        }
    }

    @Test
    void aMisspeltRequiredKeyIsNamedAsTheUnknownKey() throws Exception {
        InvalidConfigException e = refusal("burst", 10, "refill_per_secnd", 5);
        System.out.println("[issue 15] " + e.getMessage());
        assertEquals("plugins.chain[0].config.refill_per_secnd", e.key());
        assertEquals("unknown key refill_per_secnd (did you mean refill_per_second?); as written, refill_per_second "
                + "is missing (required with mode: token_bucket)", e.reason());
    }

    @Test
    void aMisspeltModeIsNamedRatherThanTheKeyTheDefaultModeThenMisses() throws Exception {
        InvalidConfigException e = refusal("mdoe", "sliding_window", "max_requests", 10, "window", "1s");
        assertEquals("plugins.chain[0].config.mdoe", e.key(), e.getMessage());
        assertEquals(true, e.reason().startsWith("unknown key mdoe (did you mean mode?)"), e.reason());
    }

    @Test
    void aMisspeltOptionalKeyIsUnknownWithASuggestion() throws Exception {
        InvalidConfigException e = refusal("burst", 10, "refill_per_second", 5, "max_kyes", 100);
        assertEquals("plugins.chain[0].config.max_kyes", e.key());
        assertEquals("unknown key max_kyes (did you mean max_keys?)", e.reason());
    }

    @Test
    void aMissingKeyWithoutATypoIsStillReportedAsRequired() throws Exception {
        InvalidConfigException e = refusal("burst", 10);
        assertEquals("plugins.chain[0].config.refill_per_second", e.key());
        assertEquals("required with mode: token_bucket", e.reason());
    }
}
