package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.runtime.Turnpike;
import dev.turnpike.runtime.config.ConfigLoader;
import dev.turnpike.runtime.plugin.ClassPathPlugin;
import dev.turnpike.runtime.reload.plugins.VersionHeader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The testkit's seam: plugins of the host's class path offered beside the drop directory's jars
 * ({@link Turnpike#prepare(dev.turnpike.runtime.config.ProxyConfig, List)}). They serve under their
 * id, survive reloads, give way to a jar of the same id while it is there, and are never unloaded.
 */
class ClassPathPluginTest {

    @TempDir
    Path dir;

    private static final ClassPathPlugin ON_CLASS_PATH =
            new ClassPathPlugin(ReloadHarness.PLUGIN_ID, "cp", VersionHeader.class, VersionHeader::new);

    private static ReloadHarness start(ReloadHarness h, List<ClassPathPlugin> classPath) throws Exception {
        Files.writeString(h.config, h.yaml(h.versionHeaderChain()));
        h.proxy = Turnpike.prepare(ConfigLoader.load(h.config), classPath).start();
        return h;
    }

    @Test
    void servesUnderItsIdAndAJarOfThatIdTakesItsPlaceWhileThere() throws Exception {
        try (ReloadHarness h = start(new ReloadHarness(dir), List.of(ON_CLASS_PATH))) {
            assertEquals("cp", h.versionServed());

            Path jar = h.moveIn(h.versionJar("2.0"), ReloadHarness.JAR_NAME);
            h.awaitVersion("2.0", Duration.ofSeconds(10));

            Files.delete(jar);
            h.awaitVersion("cp", Duration.ofSeconds(10));

            h.proxy.reloadConfig("test");
            h.awaitVersion("cp", Duration.ofSeconds(10));
            ClassLoader app = VersionHeader.class.getClassLoader();
            assertTrue(h.proxy.reloader().retiredLoaders().stream().noneMatch(r -> r.get() == app),
                    "the class path's loader is never unloaded, so never watched as retired");
        }
    }

    @Test
    void twoClassPathPluginsWithOneIdAreRefused() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> start(h, List.of(ON_CLASS_PATH, ON_CLASS_PATH)));
            assertTrue(e.getMessage().contains(ReloadHarness.PLUGIN_ID), e.getMessage());
        }
    }
}
