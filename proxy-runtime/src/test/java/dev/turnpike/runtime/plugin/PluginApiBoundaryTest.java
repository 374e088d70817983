package dev.turnpike.runtime.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.metrics.PluginMetrics;
import dev.turnpike.runtime.plugin.testplugins.ApiOnly;
import dev.turnpike.runtime.plugin.testplugins.Journal;
import dev.turnpike.runtime.plugin.testplugins.Recorder;
import dev.turnpike.runtime.plugin.testplugins.UsesNetty;
import dev.turnpike.runtime.plugin.testplugins.UsesRuntimeInternals;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugins see the Java platform, the API, PF4J, SLF4J and their own jar: a jar using anything else
 * of the host is refused when it is loaded, naming the plugin and the class, even when only a
 * request would have reached that class.
 */
class PluginApiBoundaryTest {

    private static final String SEES = "which is not part of the plugin API (plugins see the Java platform, "
            + "dev.turnpike.api.*, org.pf4j.*, org.slf4j.* and the classes in their own jar)";

    @TempDir
    Path drop;

    private PluginHost host;
    private LogCapture hostLog;

    @BeforeEach
    void setUp() throws Exception {
        Journal.clear();
        host = new PluginHost(drop);
        hostLog = LogCapture.of(PluginHost.class);
    }

    @AfterEach
    void tearDown() {
        hostLog.close();
        host.close();
        Journal.clear();
    }

    @Test
    void aJarUsingNettyIsRefusedAtLoadNamingThePluginAndTheClass() throws Exception {
        Path jar = TestJars.pluginJar(drop, "uses-netty.jar", "uses-netty", "1.0.0", UsesNetty.class);

        PluginLoadException e = assertThrows(PluginLoadException.class, () -> host.load(jar));

        assertEquals(jar, e.file());
        assertEquals("plugin 'uses-netty' uses io.netty.buffer.ByteBuf (in " + UsesNetty.class.getName() + "), " + SEES
                + "; the jar also uses io.netty.buffer.Unpooled", e.reason());
        assertEquals(List.of(), staged(), "a refused jar leaves no staged copy");
    }

    @Test
    void aJarUsingTheRuntimesInternalsIsRefusedAtLoad() throws Exception {
        Path jar = TestJars.pluginJar(drop, "uses-runtime.jar", "uses-runtime", "1.0.0", UsesRuntimeInternals.class);

        PluginLoadException e = assertThrows(PluginLoadException.class, () -> host.load(jar));

        assertEquals("plugin 'uses-runtime' uses dev.turnpike.runtime.config.ChainEntry (in "
                + UsesRuntimeInternals.class.getName() + "), " + SEES, e.reason());
    }

    @Test
    void atStartARefusedJarIsLoggedAndTheOthersLoad() throws Exception {
        Path netty = TestJars.pluginJar(drop, "uses-netty.jar", "uses-netty", "1.0.0", UsesNetty.class);
        TestJars.pluginJar(drop, "api-only.jar", "api-only", "1.0.0", ApiOnly.class);
        TestJars.copyLoadBalancer(drop, "load-balancer.jar");

        Map<String, LoadedPlugin> loaded = host.loadAll();

        assertEquals(List.of("api-only", "load-balancer"), List.copyOf(loaded.keySet()));
        List<String> warnings = hostLog.messages(Level.WARN);
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("skipping plugin jar " + netty + ": plugin 'uses-netty' uses "
                + "io.netty.buffer.ByteBuf (in " + UsesNetty.class.getName() + "), which is not part of the plugin API"),
                warnings.get(0));
    }

    @Test
    void aJarWithinTheBoundaryLoadsAndWorks() throws Exception {
        LoadedPlugin plugin = host.load(TestJars.pluginJar(drop, "api-only.jar", "api-only", "1.0.0", ApiOnly.class));
        ProxyPlugin<?> instance = plugin.newInstance();
        instance.start(new StartContext("api-only", "1.0.0", ConfigSection.of("plugins.chain[0].config",
                Map.of("secret", "k")), PluginServices.withoutLoops(PluginMetrics.noop()), new ConcurrentHashMap<>()));

        @SuppressWarnings("unchecked")
        String report = ((Supplier<String>) instance).get();
        assertEquals("hmac=" + hmac("k", "turnpike") + " http=HTTP_2 tls=TLSv1.3", report);
        assertNotSame(ApiOnly.class, plugin.extensionClass(), "the jar's class, not the test's");
        assertInstanceOf(BoundedPluginClassLoader.class, plugin.classLoader());
        assertInstanceOf(BoundaryClassLoader.class, plugin.classLoader().getParent());
        assertSame(ProxyPlugin.class, plugin.classLoader().loadClass(ProxyPlugin.class.getName()));
        instance.stop();
    }

    @Test
    void aPluginsOwnCopyOfAClassIsUsedEvenInAPackageTheHostHides() throws Exception {
        // Recorder with its own Journal: what a plugin bundling its dependencies looks like.
        Path jar = TestJars.jar(drop, "recorder.jar", Map.of("Plugin-Id", "recorder", "Plugin-Version", "1.0.0"),
                List.of(Recorder.class.getName()), Recorder.class, Journal.class);
        LoadedPlugin plugin = host.load(jar);
        ProxyPlugin<?> instance = plugin.newInstance();
        instance.start(new StartContext("recorder", "1.0.0", ConfigSection.of("plugins.chain[0].config", Map.of()),
                PluginServices.withoutLoops(PluginMetrics.noop()), new ConcurrentHashMap<>()));

        Class<?> itsJournal = plugin.classLoader().loadClass(Journal.class.getName());
        assertNotSame(Journal.class, itsJournal);
        assertEquals(List.of(), Journal.events(), "it wrote to its own Journal");
        assertEquals("[start:recorder as recorder@1.0.0]", String.valueOf(itsJournal.getMethod("events").invoke(null)));
        instance.stop();
    }

    @Test
    void aHiddenClassLookedUpByNameIsNotFoundWithTheReason() throws Exception {
        LoadedPlugin plugin = host.load(TestJars.pluginJar(drop, "api-only.jar", "api-only", "1.0.0", ApiOnly.class));

        ClassNotFoundException hidden = assertThrows(ClassNotFoundException.class,
                () -> Class.forName("io.netty.buffer.ByteBuf", false, plugin.classLoader()));
        assertEquals("plugin 'api-only' uses io.netty.buffer.ByteBuf, " + SEES, hidden.getMessage());
        ClassNotFoundException missing = assertThrows(ClassNotFoundException.class,
                () -> Class.forName("com.example.Nowhere", false, plugin.classLoader()));
        assertEquals("com.example.Nowhere", missing.getMessage(), "absent everywhere: no boundary to explain");
    }

    /**
     * Why the jar's class files are read at load: behind the boundary alone, the plugin's class
     * loads, reflects and runs until a request takes the branch that needs Netty.
     */
    @Test
    void withoutReadingTheClassFilesTheNettyUseWouldSurfaceOnlyMidRequest() throws Exception {
        Path jar = TestJars.pluginJar(drop, "uses-netty.jar", "uses-netty", "1.0.0", UsesNetty.class);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()},
                new BoundaryClassLoader("uses-netty", PluginBoundary.standard()))) {
            Class<?> c = loader.loadClass(UsesNetty.class.getName());
            assertNotSame(UsesNetty.class, c);
            assertTrue(c.getDeclaredMethods().length > 0);
            assertNotNull(c.getConstructor().newInstance());
            assertThrows(ClassNotFoundException.class, () -> loader.loadClass("io.netty.buffer.ByteBuf"));
        }
    }

    @Test
    void theBundledPluginsStayWithinTheBoundary() throws Exception {
        List<Path> jars = List.of(
                TestJars.loadBalancerJar(),
                TestJars.builtJar("turnpike.pluginsBuildDir", "rate-limit", "rate-limit"),
                TestJars.builtJar("turnpike.pluginsBuildDir", "header-injection", "header-injection"),
                TestJars.builtJar("turnpike.docsDir", "example-plugin", "hello-header"),
                TestJars.builtJar("turnpike.docsDir", "body-rewrite-plugin", "body-rewrite"));
        for (Path jar : jars) {
            LoadedPlugin plugin = host.load(jar);
            assertNotNull(plugin.newInstance(), jar.toString());
        }
    }

    private List<Path> staged() throws Exception {
        try (Stream<Path> s = Files.list(host.stagingDir())) {
            return s.toList();
        }
    }

    private static String hmac(String key, String text) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    }
}
