package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5, "done when" 1 and 2: a plugin jar replaced 20 times, and a plugin added then removed (an
 * optional chain entry), under continuous load from real keep-alive clients, with zero failed requests.
 */
class JarReplaceUnderLoadTest {

    private static final int THREADS = 4;
    private static final int SWAPS = 20;
    private static final Duration QUIET = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private static String version(int i) {
        return "1.0." + i;
    }

    @Test
    @Timeout(90)
    void replacedTwentyTimesUnderLoadWithoutAFailedRequest() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            List<Path> built = new ArrayList<>();
            for (int i = 0; i <= SWAPS; i++) {
                built.add(h.versionJar(version(i)));
            }
            h.moveIn(built.get(0), ReloadHarness.JAR_NAME);
            h.start(h.yaml(h.versionHeaderChain()));
            assertEquals(version(0), h.versionServed());

            List<Long> latencies = new ArrayList<>();
            List<String> modes = new ArrayList<>();
            double quietRate;
            double swapRate;
            long swapMillis;
            try (Load load = new Load(h.uri("/name"), THREADS, true)) {
                Thread.sleep(1_000); // warm-up: connections, JIT
                long c0 = load.completed.get();
                long t0 = System.nanoTime();
                Thread.sleep(QUIET.toMillis());
                quietRate = (load.completed.get() - c0) / ((System.nanoTime() - t0) / 1e9);

                long s0 = System.nanoTime();
                long sc0 = load.completed.get();
                for (int i = 1; i <= SWAPS; i++) {
                    String v = version(i);
                    String mode = switch (i % 3) {
                        case 0 -> "Files.copy(REPLACE_EXISTING)";
                        case 1 -> "temp + ATOMIC_MOVE";
                        default -> "cp";
                    };
                    modes.add(mode);
                    switch (i % 3) {
                        case 0 -> h.copyOver(built.get(i), ReloadHarness.JAR_NAME);
                        case 1 -> h.moveIn(built.get(i), ReloadHarness.JAR_NAME);
                        default -> h.cpOver(built.get(i), ReloadHarness.JAR_NAME);
                    }
                    long copied = System.nanoTime();
                    long deadline = copied + 5_000_000_000L;
                    while (!load.firstSeen.containsKey(v) && System.nanoTime() < deadline) {
                        Thread.sleep(2);
                    }
                    Long seen = load.firstSeen.get(v);
                    if (seen == null) {
                        fail("swap " + i + " (" + mode + "): version " + v + " not served within 5 s; failures "
                                + load.failures + "\nlog:\n" + h.logs.dump());
                    }
                    latencies.add((seen - copied) / 1_000_000);
                    Thread.sleep(100);
                }
                swapMillis = (System.nanoTime() - s0) / 1_000_000;
                swapRate = (load.completed.get() - sc0) / (swapMillis / 1e3);
                Thread.sleep(300);
                // the load's own checks: no exception, only 200, exactly one header value each
                assertEquals(0, load.failed.get(), "failed requests: " + load.failures + "\nlog:\n" + h.logs.dump());
                load.close();
                // per thread the versions only ever go forward
                for (List<String> seq : load.sequences()) {
                    for (int k = 1; k < seq.size(); k++) {
                        int a = Integer.parseInt(seq.get(k - 1).substring(4));
                        int b = Integer.parseInt(seq.get(k).substring(4));
                        assertTrue(b > a, "a client saw version " + seq.get(k) + " after " + seq.get(k - 1) + ": " + seq);
                    }
                }
                System.out.printf("[reload] %d requests, 0 failed; quiet %.0f req/s over %d ms, during %d swaps %.0f req/s over %d ms%n",
                        load.completed.get(), quietRate, QUIET.toMillis(), SWAPS, swapRate, swapMillis);
            }
            List<Long> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            long median = (sorted.get(SWAPS / 2 - 1) + sorted.get(SWAPS / 2)) / 2;
            System.out.println("[reload] copy -> first response with the new version, ms, per swap: " + latencies
                    + " (modes " + modes + "); median " + median + " ms, max " + sorted.get(SWAPS - 1) + " ms");
            // The time to be served is a figure (printed above; the design target is within a second),
            // not an assertion: on a loaded machine a swap can take longer without anything being wrong.
            // What must hold is that every swap was served, well before the generous deadline.
            for (int i = 0; i < SWAPS; i++) {
                assertTrue(latencies.get(i) >= 0 && latencies.get(i) < 30_000, "swap " + (i + 1) + " (" + modes.get(i)
                        + ") was not served: " + latencies);
            }
            // every version loaded once: 20 "replaced" lines, no refusal of a partly written file
            assertEquals(SWAPS, h.logs.matching("plugin jar " + ReloadHarness.JAR_NAME + ": replaced").size(), h.logs.dump());
            assertEquals(List.of(), h.logs.matching("refused"), "refusals while swapping");
            assertEquals(List.of(), h.logs.matching(ReloadHarness.JAR_NAME + " removed"),
                    "an overwrite was taken for a removal");
            assertTrue(quietRate > 100, "load too low to mean anything: " + quietRate + " req/s");
        }
    }

    @Test
    @Timeout(60)
    void addedThenRemovedUnderLoad() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            Path jar = h.versionJar("2.0.0");
            // Optional: a required entry whose plugin is not loaded would refuse the start, and a
            // removed jar would keep its running version.
            h.start(h.yaml(h.optionalVersionHeaderChain()));
            assertEquals(1, h.logs.matching("WARN", "chain entry plugins.chain[0] (optional): no plugin '"
                    + ReloadHarness.PLUGIN_ID + "' is loaded", "left out").size(),
                    "the left-out entry is reported once: " + h.logs.dump());
            assertEquals(null, h.versionServed());
            try (Load load = new Load(h.uri("/name"), THREADS, false)) {
                Thread.sleep(1_000);
                long before = load.completed.get();
                assertTrue(before > 50, "load too low: " + before);

                h.moveIn(jar, ReloadHarness.JAR_NAME);
                long added = System.nanoTime();
                while (!load.firstSeen.containsKey("2.0.0") && System.nanoTime() - added < 5_000_000_000L) {
                    Thread.sleep(2);
                }
                assertTrue(load.firstSeen.containsKey("2.0.0"), "the header never appeared: " + h.logs.dump());
                long addMillis = (load.firstSeen.get("2.0.0") - added) / 1_000_000;
                Thread.sleep(1_000);

                int logMark = h.logs.size();
                Files.delete(h.plugins.resolve(ReloadHarness.JAR_NAME));
                long removed = System.nanoTime();
                // "none" was seen before the add: wait for a thread whose sequence ends with none again
                long removeMillis = -1;
                while (System.nanoTime() - removed < 5_000_000_000L) {
                    boolean gone = load.sequences().stream().anyMatch(s -> s.size() >= 3 && s.get(s.size() - 1).equals("none"));
                    if (gone) {
                        removeMillis = (System.nanoTime() - removed) / 1_000_000;
                        break;
                    }
                    Thread.sleep(2);
                }
                assertTrue(removeMillis >= 0, "the header never disappeared: " + h.logs.since(logMark));
                Thread.sleep(1_000);
                long total = load.completed.get();
                load.close();
                assertEquals(0, load.failed.get(), "failed requests: " + load.failures + "\nlog:\n" + h.logs.dump());
                for (List<String> seq : load.sequences()) {
                    assertEquals(List.of("none", "2.0.0", "none"), seq, "what one client saw, in order");
                }
                System.out.printf("[reload] add: header after %d ms; remove: gone after ~%d ms; %d requests, 0 failed%n",
                        addMillis, removeMillis, total);
                // Figures, printed above; that both happened is asserted (the header appeared and went).
                assertTrue(addMillis >= 0, "the added jar was never served");
            }
            assertFalse(h.logs.matching(ReloadHarness.JAR_NAME + " removed").isEmpty(), h.logs.dump());
            assertEquals(2, h.logs.matching("WARN", "chain entry plugins.chain[0] (optional)", "left out").size(),
                    "left out at start and again after the removal, once each: " + h.logs.dump());
            assertEquals(1, h.logs.matching("chain entry plugins.chain[0] (optional)", "back in the chain").size(), h.logs.dump());
            ReloadHarness.await("the removed version unloaded", Duration.ofSeconds(3),
                    () -> !h.logs.matching("unloaded plugin", ReloadHarness.PLUGIN_ID).isEmpty());
            assertEquals(null, h.versionServed());
        }
    }
}
