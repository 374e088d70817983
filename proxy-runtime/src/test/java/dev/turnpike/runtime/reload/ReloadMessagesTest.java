package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a reload says, word for word: a setting that needs a restart by its key with the old and new
 * values as written in the file, and a plugin's refused key as one sentence naming the cause, the
 * file, the key and that the running configuration stays.
 */
class ReloadMessagesTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(30)
    void aRestartOnlyChangeIsNamedByItsKeyWithOldAndNewValues() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            h.start(h.yaml(h.loadBalancerEntry()));
            long gen = h.proxy.reloader().generation();
            h.editConfig(h.yaml("  max_body_size: 2m\n", h.loadBalancerEntry()) + "upstream:\n  read_timeout: 10s\n");
            ReloadHarness.await("generation " + (gen + 1), Duration.ofSeconds(10), () -> h.proxy.reloader().generation() > gen);

            List<String> warned = h.logs.matching("WARN", "needs a restart");
            assertEquals(List.of(
                    "WARN Reloader: configuration reload (the file changed): server.max_body_size: 0 -> 2m needs a restart; "
                            + "the old value stays in force until then",
                    "WARN Reloader: configuration reload (the file changed): upstream.read_timeout: 30s -> 10s needs a restart; "
                            + "the old value stays in force until then"), warned, h.logs.dump());
        }
    }

    @Test
    @Timeout(30)
    void aRefusedPluginKeyReadsAsOneSentence() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            h.start(h.yaml(h.loadBalancerEntry()));
            long gen = h.proxy.reloader().generation();
            int mark = h.logs.size();
            h.editConfig(h.yaml(h.loadBalancerEntry().replace("] }", "], bogus_key: 1 }")));
            ReloadHarness.await("the refusal", Duration.ofSeconds(10), () -> h.logs.since(mark).contains("refused"));

            String refusal = h.logs.matching("refused").get(0);
            System.out.println("[reload] " + refusal);
            String prefix = "ERROR Reloader: configuration reload (the file changed) refused: " + h.config + ": "
                    + "plugins.chain[0].config.bogus_key: ";
            assertTrue(refusal.startsWith(prefix), refusal);
            assertTrue(refusal.endsWith("; the running configuration stays in force"), refusal);
            assertTrue(!refusal.contains("reloaded"), refusal);
            assertEquals(gen, h.proxy.reloader().generation());
        }
    }
}
