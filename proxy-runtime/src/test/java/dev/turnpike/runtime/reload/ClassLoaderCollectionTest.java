package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.turnpike.runtime.plugin.TestJars;
import dev.turnpike.runtime.reload.plugins.BulkyVersionHeader;
import java.lang.management.ClassLoadingMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5, "done when" 4: after 100 replace cycles the retired class loaders are collected and the
 * number of loaded classes returns near its baseline. Each version of the plugin loads 21 classes
 * of its own ({@link BulkyVersionHeader}), so 100 leaked versions would add about 2,100.
 */
class ClassLoaderCollectionTest {

    private static final int CYCLES = 100;
    private static final int WARMUP = 3;

    @TempDir
    Path dir;

    private static Path bulkyJar(ReloadHarness h, int i) throws Exception {
        Path jar = TestJars.jar(h.jars, "bulky-" + i + ".jar",
                Map.of("Plugin-Id", ReloadHarness.PLUGIN_ID, "Plugin-Version", "3.0." + i),
                List.of(BulkyVersionHeader.class.getName()), BulkyVersionHeader.classes());
        if (i == 0) {
            ReloadHarness.assertExtensionIndex(jar, BulkyVersionHeader.class.getName());
        }
        return jar;
    }

    /** Replaces the jar with version {@code i} and waits until requests get it. */
    private static void cycle(ReloadHarness h, Path jar, int i, Set<WeakReference<ClassLoader>> seen) throws Exception {
        long gen = h.proxy.reloader().generation();
        h.moveIn(jar, ReloadHarness.JAR_NAME);
        ReloadHarness.await("generation after " + gen + " (version 3.0." + i + ")", java.time.Duration.ofSeconds(5),
                () -> h.proxy.reloader().generation() > gen);
        assertEquals("3.0." + i, h.versionServed());
        seen.addAll(h.proxy.reloader().retiredLoaders());
    }

    private static long liveCount(List<WeakReference<ClassLoader>> refs) {
        return refs.stream().filter(r -> r.get() != null).count();
    }

    private static void gc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
    }

    @Test
    @Timeout(120)
    void retiredClassLoadersAreCollectedAfterAHundredReplaceCycles() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            List<Path> built = new ArrayList<>();
            for (int i = 0; i <= WARMUP + CYCLES; i++) {
                built.add(bulkyJar(h, i));
            }
            h.moveIn(built.get(0), ReloadHarness.JAR_NAME);
            h.start(h.yaml(h.versionHeaderChain()));
            assertEquals("3.0.0", h.versionServed());
            Set<WeakReference<ClassLoader>> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            for (int i = 1; i <= WARMUP; i++) {
                cycle(h, built.get(i), i, seen);
            }
            ClassLoadingMXBean classes = ManagementFactory.getClassLoadingMXBean();
            Thread.sleep(200); // the last retirement
            gc();
            long baseline = classes.getLoadedClassCount();
            long unloadedBefore = classes.getUnloadedClassCount();

            long t0 = System.nanoTime();
            for (int i = WARMUP + 1; i <= WARMUP + CYCLES; i++) {
                cycle(h, built.get(i), i, seen);
            }
            long cyclesMillis = (System.nanoTime() - t0) / 1_000_000;
            long beforeGc = classes.getLoadedClassCount();

            // the newest one or two versions may still be retiring; give them a moment, then collect
            List<WeakReference<ClassLoader>> pending = h.proxy.reloader().retiredLoaders();
            long live = Long.MAX_VALUE;
            for (int round = 0; round < 10 && live > 0; round++) {
                gc();
                seen.addAll(h.proxy.reloader().retiredLoaders());
                live = liveCount(new ArrayList<>(seen));
            }
            long after = classes.getLoadedClassCount();
            long unloaded = classes.getUnloadedClassCount() - unloadedBefore;
            List<WeakReference<ClassLoader>> stillListed = h.proxy.reloader().retiredLoaders();
            int unloadLines = h.logs.matching("unloaded plugin " + ReloadHarness.PLUGIN_ID).size();
            System.out.printf("[reload] %d replace cycles in %d ms (%d ms each); loaded classes: baseline %d, after the cycles"
                            + " before GC %d, after GC %d (%+d); classes unloaded by the JVM meanwhile %d; plugin versions unloaded"
                            + " %d; weak refs to retired loaders seen %d, still reachable %d; retiredLoaders() right after the"
                            + " cycles %d, at the end %d (%d live)%n",
                    CYCLES, cyclesMillis, cyclesMillis / CYCLES, baseline, beforeGc, after, after - baseline, unloaded,
                    unloadLines, seen.size(), live, pending.size(), stillListed.size(), liveCount(stillListed));

            assertTrue(unloadLines >= WARMUP + CYCLES - 2, "plugin versions unloaded: " + unloadLines + "\n" + h.logs.dump());
            assertTrue(live <= 2, live + " retired class loader(s) still reachable after GC (of " + seen.size() + ")");
            assertTrue(liveCount(stillListed) <= 2, "retiredLoaders() still lists " + liveCount(stillListed) + " live loaders");
            // one leaked version is 21 classes: 100 would be ~2,100; allow noise from the JDK and the proxy
            long bound = baseline + 150;
            if (after > bound) {
                fail("loaded classes " + after + " > baseline " + baseline + " + 150 after " + CYCLES + " cycles ("
                        + (after - baseline) / (BulkyVersionHeader.EXTRA_CLASSES + 1) + " versions' worth)");
            }
        }
    }
}
