package dev.turnpike.runtime.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.runtime.plugin.testplugins.Journal;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@link PluginBoundary} lets a plugin see of the host, and how it words a refusal. */
class PluginBoundaryTest {

    private final PluginBoundary boundary = PluginBoundary.standard();

    @Test
    void thePlatformIsVisibleBeyondJavaStar() {
        for (String name : List.of("java.lang.String", "java.util.concurrent.ConcurrentHashMap", "javax.crypto.Mac",
                "javax.net.ssl.SSLContext", "java.net.http.HttpClient", "javax.xml.parsers.DocumentBuilder",
                "org.w3c.dom.Document", "java.sql.Connection", "sun.misc.Unsafe")) {
            assertTrue(PluginBoundary.isPlatform(name), name);
            assertTrue(boundary.visible(name), name);
            assertFalse(boundary.hides(name), name);
        }
    }

    @Test
    void ofTheRuntimesClassPathOnlyTheApiPf4jAndSlf4jAreShared() {
        for (String name : List.of("dev.turnpike.api.ProxyPlugin", "dev.turnpike.api.config.ConfigSection",
                "dev.turnpike.api.metrics.PluginMetrics", "org.pf4j.Extension", "org.pf4j.Plugin",
                "org.slf4j.Logger", "org.slf4j.spi.LoggingEventBuilder")) {
            assertTrue(boundary.sharesHostClass(name), name);
            assertFalse(boundary.hides(name), name);
        }
        for (String name : List.of("io.netty.buffer.ByteBuf", "dev.turnpike.runtime.plugin.PluginHost",
                "org.yaml.snakeyaml.Yaml", "io.prometheus.client.Counter", "ch.qos.logback.classic.Logger",
                Journal.class.getName())) {
            assertFalse(boundary.visible(name), name);
            assertNotNull(getClass().getClassLoader().getResource(name.replace('.', '/') + ".class"), "setup: " + name);
            assertTrue(boundary.hides(name), name);
        }
    }

    @Test
    void aPrefixIsAPackageNotTheStartOfAName() {
        assertFalse(boundary.sharesHostClass("dev.turnpike.apix.Thing"));
        assertFalse(boundary.sharesHostClass("org.slf4jx.Logger"));
        assertFalse(boundary.sharesHostClass("dev.turnpike.ApiThing"));
    }

    @Test
    void aClassTheHostDoesNotHaveIsNotHiddenJustMissing() {
        assertFalse(boundary.visible("com.example.Nowhere"));
        assertFalse(boundary.hides("com.example.Nowhere"));
    }

    @Test
    void resourcesAreSharedOnlyInTheSharedPackages() {
        assertTrue(boundary.sharesHostResource("dev/turnpike/api/ProxyPlugin.class"));
        assertTrue(boundary.sharesHostResource("org/slf4j/Logger.class"));
        assertFalse(boundary.sharesHostResource("io/netty/buffer/ByteBuf.class"));
        assertFalse(boundary.sharesHostResource("logback.xml"));
        assertFalse(boundary.sharesHostResource("META-INF/services/org.slf4j.spi.SLF4JServiceProvider"));
        assertFalse(boundary.sharesHostResource("dev/turnpike/apix/x.txt"));
    }

    @Test
    void testsCanShareOneMoreClassAndOnlyThatOne() {
        PluginBoundary more = boundary.alsoSharing(Journal.class.getName());
        assertTrue(more.sharesHostClass(Journal.class.getName()));
        assertFalse(more.hides(Journal.class.getName()));
        assertTrue(more.hides("dev.turnpike.runtime.plugin.testplugins.Recorder"));
        assertTrue(boundary.hides(Journal.class.getName()), "the standard boundary is unchanged");
    }

    @Test
    void aRefusalNamesThePluginTheClassAndWhatPluginsSee() {
        assertEquals("plugin 'x' uses io.netty.buffer.ByteBuf (in com.example.X), which is not part of the plugin API "
                + "(plugins see the Java platform, dev.turnpike.api.*, org.pf4j.*, org.slf4j.* and the classes in their own jar)",
                PluginBoundary.refusal("x", "io.netty.buffer.ByteBuf", "com.example.X"));
        assertTrue(PluginBoundary.refusal("x", "io.netty.buffer.ByteBuf", null)
                .startsWith("plugin 'x' uses io.netty.buffer.ByteBuf, which is not part of the plugin API ("));
    }
}
