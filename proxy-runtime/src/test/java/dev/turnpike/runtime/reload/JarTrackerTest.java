package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.plugin.DropDirectory;
import dev.turnpike.runtime.plugin.PluginHost;
import dev.turnpike.runtime.plugin.TestJars;
import dev.turnpike.runtime.reload.plugins.VersionHeader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tracker's looks, one by one (the reloader makes them on file events and after the settle
 * time): a jar missing at one look is taken as removed only when it is still missing at the next,
 * so an overwrite that deletes, then creates, is a replacement.
 */
class JarTrackerTest {

    @TempDir
    Path drop;
    @TempDir
    Path staging;
    @TempDir
    Path build;

    @Test
    void aJarGoneAtOneLookButBackAtTheNextIsReplacedNotRemoved() throws Exception {
        try (PluginHost host = new PluginHost(drop, staging)) {
            JarTracker tracker = new JarTracker(new DropDirectory(drop), host, new ProxyMetrics());
            TestJars.pluginJar(drop, "recorder.jar", "version-header", "1.0.0", VersionHeader.class);
            tracker.scan(true);
            assertEquals("1.0.0", tracker.plugins().get("version-header").version());

            Files.delete(drop.resolve("recorder.jar")); // the first half of Files.copy(REPLACE_EXISTING)
            JarTracker.Scan gap = tracker.scan(false);
            assertFalse(gap.changed(), "a look in the gap changes nothing");
            assertTrue(gap.waiting(), "and asks for another look");
            assertTrue(gap.removed().isEmpty());
            assertEquals("1.0.0", tracker.plugins().get("version-header").version());

            Path v2 = TestJars.pluginJar(build, "recorder.jar", "version-header", "2.0.0", VersionHeader.class);
            Files.copy(v2, drop.resolve("recorder.jar"));
            tracker.scan(false); // first seen: settling
            JarTracker.Scan settled = tracker.scan(false);
            assertTrue(settled.changed());
            assertTrue(settled.removed().isEmpty(), "replaced, not removed: " + settled.removed());
            assertEquals(1, settled.replaced().size());
            assertEquals("2.0.0", tracker.plugins().get("version-header").version());
        }
    }

    @Test
    void aJarStillGoneAtTheSecondLookIsRemoved() throws Exception {
        try (PluginHost host = new PluginHost(drop, staging)) {
            JarTracker tracker = new JarTracker(new DropDirectory(drop), host, new ProxyMetrics());
            TestJars.pluginJar(drop, "recorder.jar", "version-header", "1.0.0", VersionHeader.class);
            tracker.scan(true);

            Files.delete(drop.resolve("recorder.jar"));
            assertTrue(tracker.scan(false).removed().isEmpty());
            JarTracker.Scan second = tracker.scan(false);
            assertTrue(second.changed());
            assertEquals(1, second.removed().size());
            assertFalse(second.waiting());
            assertTrue(tracker.plugins().isEmpty());
        }
    }
}
