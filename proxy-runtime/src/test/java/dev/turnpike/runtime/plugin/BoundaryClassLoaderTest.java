package dev.turnpike.runtime.plugin;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.metrics.PluginMetrics;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The parent of a plugin's class loader: the platform, the shared host packages, nothing else. */
class BoundaryClassLoaderTest {

    private final ClassLoader host = getClass().getClassLoader();
    private final BoundaryClassLoader loader = new BoundaryClassLoader("test", PluginBoundary.standard());

    @Test
    void platformClassesAreThePlatformsOwn() throws Exception {
        for (Class<?> c : List.of(String.class, javax.crypto.Mac.class, javax.net.ssl.SSLContext.class,
                java.net.http.HttpClient.class, java.sql.Connection.class, org.w3c.dom.Document.class)) {
            assertSame(c, loader.loadClass(c.getName()), c.getName());
        }
    }

    @Test
    void theSharedPackagesAreTheHostsOwnClasses() throws Exception {
        // One Class for host and plugin: else the host could not cast a plugin's extension to ProxyPlugin.
        for (Class<?> c : List.of(ProxyPlugin.class, ConfigSection.class, PluginMetrics.class, org.pf4j.Extension.class,
                org.pf4j.Plugin.class, org.slf4j.Logger.class, org.slf4j.LoggerFactory.class)) {
            assertSame(c, loader.loadClass(c.getName()), c.getName());
        }
    }

    @Test
    void everythingElseOnTheHostIsNotFound() throws Exception {
        for (String name : List.of("io.netty.buffer.ByteBuf", "io.netty.channel.Channel", PluginHost.class.getName(),
                "dev.turnpike.runtime.Turnpike", "org.yaml.snakeyaml.Yaml", "io.prometheus.client.Counter",
                "ch.qos.logback.classic.Logger", "org.junit.jupiter.api.Test")) {
            assertNotNull(host.loadClass(name), "setup: the host has " + name);
            assertThrows(ClassNotFoundException.class, () -> loader.loadClass(name), name);
        }
    }

    @Test
    void resourcesFollowTheClasses() throws Exception {
        assertNotNull(loader.getResource("java/lang/String.class"));
        assertNotNull(loader.getResource("dev/turnpike/api/ProxyPlugin.class"));
        assertNotNull(loader.getResource("org/slf4j/Logger.class"));
        for (String name : List.of("io/netty/buffer/ByteBuf.class", "logback-test.xml", "logback.xml",
                "META-INF/services/org.slf4j.spi.SLF4JServiceProvider")) {
            assertNotNull(host.getResource(name), "setup: the host has " + name);
            assertNull(loader.getResource(name), name);
        }
        assertTrue(Collections.list(host.getResources("META-INF/MANIFEST.MF")).size() > 1, "setup");
        assertFalse(loader.getResources("META-INF/MANIFEST.MF").hasMoreElements(), "no host jar's manifest");
        assertTrue(loader.getResources("org/slf4j/Logger.class").hasMoreElements());
    }

    @Test
    void itIsNamedAfterItsPluginAndItsParentIsThePlatform() {
        assertSame(ClassLoader.getPlatformClassLoader(), loader.getParent());
        assertTrue(loader.getName().contains("test"), loader.getName());
    }
}
