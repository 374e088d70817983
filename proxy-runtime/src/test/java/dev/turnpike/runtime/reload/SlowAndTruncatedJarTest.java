package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5, "done when" 3: a jar written slowly is loaded once, complete; a truncated jar is refused
 * and the version before it keeps serving.
 */
class SlowAndTruncatedJarTest {

    private static final String JAR = ReloadHarness.JAR_NAME;

    @TempDir
    Path dir;

    /** 20 pieces, 100 ms apart (2 s): the file never stands still for the settle time. */
    @Test
    @Timeout(30)
    void aJarWrittenInPiecesOverTwoSecondsIsLoadedOnceComplete() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            byte[] v1 = Files.readAllBytes(h.versionJar("1.0.1"));
            h.start(h.yaml(h.optionalVersionHeaderChain())); // no jar yet: only an optional entry may start so
            assertEquals(null, h.versionServed());
            int mark = h.logs.size();

            long t0 = System.nanoTime();
            ReloadHarness.writeSlowly(h.plugins.resolve(JAR), v1, 20, 100);
            long wrote = (System.nanoTime() - t0) / 1_000_000;
            // until the last piece is written, nothing may change
            long served = h.awaitVersion("1.0.1", Duration.ofSeconds(3));
            Thread.sleep(600); // room for a second load, should there be one
            String log = h.logs.since(mark);
            System.out.println("[reload] slow write (20 x 100 ms, " + wrote + " ms): served " + served + " ms after the last piece");
            assertEquals(1, h.logs.matching("plugin jar " + JAR + ": added").size(), log);
            assertEquals(List.of(), h.logs.matching("refused"), "a partly written jar was tried: " + log);
            assertEquals(List.of(), h.logs.matching("skipping plugin jar"), log);
            assertEquals(1, h.logs.matching("loaded plugin version-header 1.0.1").size(), "loads: " + log);
            assertTrue(served >= 0 && served < 30_000, "not served after the write ended: " + served + " ms"); // the time is a figure, not a test
        }
    }

    /**
     * 6 pieces, 400 ms apart (2 s): a writer that stalls longer than the settle time (a slow network
     * copy). The previous version must keep serving throughout, and the finished file load once.
     * Whether a partial file is tried (and refused) on the way is reported, not asserted.
     */
    @Test
    @Timeout(30)
    void aJarWrittenWithStallsKeepsThePreviousVersionUntilComplete() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            h.moveIn(h.versionJar("1.0.1"), JAR);
            byte[] v2 = Files.readAllBytes(h.versionJar("1.0.2"));
            h.start(h.yaml(h.versionHeaderChain()));
            assertEquals("1.0.1", h.versionServed());
            int mark = h.logs.size();
            double failedBefore = h.reloads("plugins", "failed");

            Thread writer = new Thread(() -> {
                try {
                    ReloadHarness.writeSlowly(h.plugins.resolve(JAR), v2, 6, 400);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            writer.start();
            while (writer.isAlive()) {
                assertEquals("1.0.1", h.versionServed(), "while the new jar is being written");
                Thread.sleep(20);
            }
            writer.join();
            long served = h.awaitVersion("1.0.2", Duration.ofSeconds(3));
            Thread.sleep(600);
            String log = h.logs.since(mark);
            List<String> refusals = h.logs.matching("plugin jar " + JAR + " refused");
            System.out.println("[reload] stalled write (6 x 400 ms): served " + served + " ms after the last piece; "
                    + refusals.size() + " refusal(s) of the partial file on the way; reloads failed counter +"
                    + (h.reloads("plugins", "failed") - failedBefore) + (refusals.isEmpty() ? "" : ": " + refusals));
            assertEquals(1, h.logs.matching("plugin jar " + JAR + ": replaced, now version-header 1.0.2").size(), log);
            assertEquals("1.0.2", h.versionServed());
        }
    }

    @Test
    @Timeout(30)
    void aTruncatedJarIsRefusedAndThePreviousVersionKeepsServing() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            h.moveIn(h.versionJar("1.0.1"), JAR);
            byte[] v2 = Files.readAllBytes(h.versionJar("1.0.2"));
            Path v3 = h.versionJar("1.0.3");
            h.start(h.yaml(h.versionHeaderChain()));
            assertEquals("1.0.1", h.versionServed());
            String sha1 = ReloadHarness.sha256(h.plugins.resolve(JAR));
            double failedBefore = h.reloads("plugins", "failed");
            long generation = h.proxy.reloader().generation();
            int mark = h.logs.size();

            Path half = h.jars.resolve("half.jar");
            Files.write(half, Arrays.copyOf(v2, v2.length / 2));
            h.moveIn(half, JAR);
            ReloadHarness.await("a refusal of the truncated jar in the log", Duration.ofSeconds(3),
                    () -> !h.logs.matching("ERROR", "plugin jar " + JAR + " refused").isEmpty());
            String refusal = h.logs.matching("plugin jar " + JAR + " refused").get(0);
            System.out.println("[reload] truncated jar: " + refusal);
            assertTrue(refusal.contains("keeps serving") && refusal.contains("1.0.1"), refusal);
            for (int i = 0; i < 50; i++) {
                assertEquals("1.0.1", h.versionServed(), "after the truncated jar");
                Thread.sleep(20);
            }
            assertEquals(generation, h.proxy.reloader().generation(), "a refused jar must not swap the chain");
            assertEquals(failedBefore + 1, h.reloads("plugins", "failed"), "turnpike_reloads_total{plugins,failed}");
            String status = h.admin("/plugins");
            assertTrue(status.contains("\"version\":\"1.0.1\"") && status.contains(sha1), status);
            // refused once, not again at every rescan of the unchanged file
            assertEquals(1, h.logs.matching("plugin jar " + JAR + " refused").size(), h.logs.since(mark));

            // and a good jar after it is taken
            h.moveIn(v3, JAR);
            long ms = h.awaitVersion("1.0.3", Duration.ofSeconds(3));
            assertTrue(ms <= 1_500, "the good jar after a refused one took " + ms + " ms");
            assertFalse(h.logs.matching("replaced, now version-header 1.0.3").isEmpty(), h.logs.since(mark));
        }
    }
}
