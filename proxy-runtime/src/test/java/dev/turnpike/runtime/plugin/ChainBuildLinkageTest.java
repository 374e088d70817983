package dev.turnpike.runtime.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.api.metrics.PluginMetrics;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.config.ChainEntry;
import dev.turnpike.runtime.plugin.testplugins.Journal;
import dev.turnpike.runtime.plugin.testplugins.Recorder;
import dev.turnpike.runtime.plugin.testplugins.UsesVanishedType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins down {@link ChainFactory#build(List, Map, ChainFactory.Reuse)} when building fails with a
 * {@link LinkageError} (a class a plugin needs is missing) after some instances were started: those
 * instances are stopped, last first, a kept instance of the chain in force is not, and the failure
 * is an {@link InvalidConfigException} for {@code plugins.chain}. Provoked both through the
 * {@code Reuse} seam and for real, by a plugin class whose loader hides a type its methods name.
 */
class ChainBuildLinkageTest {

    private static final String USES_VANISHED = "dev.turnpike.runtime.plugin.testplugins.UsesVanishedType";
    private static final String VANISHED = "dev.turnpike.runtime.plugin.testplugins.VanishedType";

    @TempDir
    Path drop;

    private PluginHost host;
    private Map<String, LoadedPlugin> loaded;
    private ChainFactory factory;

    @BeforeEach
    void setUp() throws IOException {
        Journal.clear();
        TestJars.pluginJar(drop, "recorder.jar", "recorder", "2.5.0", Recorder.class);
        host = TestJars.hostSharingJournal(drop);
        loaded = new HashMap<>(host.loadAll());
        assertEquals(1, loaded.size(), "setup: " + loaded);
        factory = new ChainFactory(drop, PluginMetrics.noop());
    }

    @AfterEach
    void tearDown() {
        host.close();
        Journal.clear();
    }

    private static ChainEntry entry(int index, String pluginId, Map<String, Object> config) {
        return new ChainEntry(pluginId, config, "plugins.chain[" + index + "]");
    }

    @Test
    void aLinkageErrorForALaterEntryStopsTheInstanceStartedBeforeIt() {
        ChainFactory.Reuse reuse = (entry, plugin) -> {
            if (entry.path().equals("plugins.chain[1]")) {
                throw new NoClassDefFoundError("com/example/Gone");
            }
            return null;
        };

        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> factory.build(List.of(
                entry(0, "recorder", Map.of("name", "a")),
                entry(1, "recorder", Map.of("name", "b"))), loaded, reuse));

        assertEquals("plugins.chain", e.key());
        assertEquals("the chain could not be built: com/example/Gone", e.reason());
        assertInstanceOf(NoClassDefFoundError.class, e.getCause());
        assertEquals(List.of("start:a as recorder@2.5.0", "stop:a"), Journal.events());
    }

    @Test
    void aKeptInstanceOfTheChainInForceIsNotStopped() {
        Chain inForce = factory.build(List.of(entry(0, "recorder", Map.of("name", "kept"))), loaded);
        ChainFactory.Reuse reuse = (entry, plugin) -> {
            switch (entry.path()) {
                case "plugins.chain[0]": return inForce.link(0);
                case "plugins.chain[2]": throw new NoClassDefFoundError("com/example/Gone");
                default: return null;
            }
        };

        assertThrows(InvalidConfigException.class, () -> factory.build(List.of(
                entry(0, "recorder", Map.of("name", "kept")),
                entry(1, "recorder", Map.of("name", "new")),
                entry(2, "recorder", Map.of("name", "never"))), loaded, reuse));

        assertEquals(List.of("start:kept as recorder@2.5.0", "start:new as recorder@2.5.0", "stop:new"),
                Journal.events());
        inForce.stop();
        assertEquals("stop:kept", Journal.events().get(3));
    }

    @Test
    void aPluginClassNamingAMissingTypeFailsTheBuildAndEveryStartedInstanceIsStopped() throws Exception {
        Class<?> plugin = new HidingLoader(getClass().getClassLoader()).loadClass(USES_VANISHED);
        assertThrows(NoClassDefFoundError.class, plugin::getDeclaredMethods, "setup: the type is hidden");
        String sha = "0123456789abcdef".repeat(4);
        loaded.put("uses-vanished", new LoadedPlugin(
                new StagedJar("uses-vanished", "1.0.0", null, sha, drop.resolve("uses-vanished.jar"), drop.resolve("staged.jar")),
                null, plugin, plugin.getConstructor()));

        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> factory.build(List.of(
                entry(0, "recorder", Map.of("name", "a")),
                entry(1, "uses-vanished", Map.of())), loaded, (entry, p) -> null));

        assertEquals("plugins.chain", e.key());
        assertTrue(e.reason().startsWith("the chain could not be built: "), e.reason());
        assertTrue(e.reason().contains("VanishedType"), e.reason());
        assertInstanceOf(NoClassDefFoundError.class, e.getCause());
        assertEquals(List.of("start:a as recorder@2.5.0", "start:uses-vanished", "stop:uses-vanished", "stop:a"),
                Journal.events());
    }

    /**
     * Defines {@link UsesVanishedType} itself (so the class resolves its references through this
     * loader) and refuses {@code VanishedType}; everything else comes from the parent, as the API
     * does for a real plugin.
     */
    static final class HidingLoader extends ClassLoader {
        HidingLoader(ClassLoader parent) {
            super(parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                if (name.equals(VANISHED)) {
                    throw new ClassNotFoundException(name + " (hidden by the test)");
                }
                if (!name.equals(USES_VANISHED)) {
                    return super.loadClass(name, resolve);
                }
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    byte[] bytes;
                    try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                        if (in == null) {
                            throw new ClassNotFoundException(name);
                        }
                        bytes = in.readAllBytes();
                    } catch (IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                    c = defineClass(name, bytes, 0, bytes.length);
                }
                if (resolve) {
                    resolveClass(c);
                }
                return c;
            }
        }
    }
}
