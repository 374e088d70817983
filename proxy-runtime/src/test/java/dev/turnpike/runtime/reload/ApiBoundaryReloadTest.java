package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.runtime.plugin.TestJars;
import dev.turnpike.runtime.reload.plugins.NettyVersionHeader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plugin jar that uses a host class outside the plugin API (here Netty) is refused where
 * operators look for refused plugins: at start (a required chain entry then refuses the
 * configuration; an optional one is left out) and on a reload (the version before it keeps serving), with the plugin and the class named.
 */
class ApiBoundaryReloadTest {

    private static final String JAR = ReloadHarness.JAR_NAME;
    private static final String REFUSAL = "plugin 'version-header' uses io.netty.util.AsciiString (in "
            + NettyVersionHeader.class.getName() + "), which is not part of the plugin API";

    @TempDir
    Path dir;

    private static Path nettyJar(ReloadHarness h, String version) throws Exception {
        return TestJars.pluginJar(h.jars, "vh-netty-" + version + ".jar", ReloadHarness.PLUGIN_ID, version,
                NettyVersionHeader.class);
    }

    @Test
    @Timeout(30)
    void onReloadTheJarIsRefusedAndTheVersionBeforeKeepsServing() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            h.moveIn(h.versionJar("1.0.1"), JAR);
            Path bad = nettyJar(h, "1.0.2");
            h.start(h.yaml(h.versionHeaderChain()));
            assertEquals("1.0.1", h.versionServed());
            long generation = h.proxy.reloader().generation();

            h.moveIn(bad, JAR);
            ReloadHarness.await("the refusal in the log", Duration.ofSeconds(10),
                    () -> !h.logs.matching("ERROR", "plugin jar " + JAR + " refused").isEmpty());

            List<String> refusals = h.logs.matching("plugin jar " + JAR + " refused");
            assertEquals(1, refusals.size(), h.logs.dump());
            String refusal = refusals.get(0);
            assertTrue(refusal.contains(REFUSAL), refusal);
            assertTrue(refusal.contains("the version loaded before (version-header 1.0.1") && refusal.contains("keeps serving"),
                    refusal);
            for (int i = 0; i < 20; i++) {
                assertEquals("1.0.1", h.versionServed(), "after the refused jar");
            }
            assertEquals(generation, h.proxy.reloader().generation(), "a refused jar must not swap the chain");
        }
    }

    @Test
    @Timeout(30)
    void atStartTheJarIsRefusedAndARequiredEntryRefusesTheConfiguration() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            h.moveIn(nettyJar(h, "1.0.1"), JAR);

            InvalidConfigException refused = assertThrows(InvalidConfigException.class,
                    () -> h.start(h.yaml(h.versionHeaderChain())));
            assertTrue(refused.getMessage().contains("no plugin 'version-header' is loaded"), refused.getMessage());

            List<String> refusals = h.logs.matching("ERROR", "plugin jar " + JAR + " refused");
            assertEquals(1, refusals.size(), h.logs.dump());
            assertTrue(refusals.get(0).contains(REFUSAL), refusals.get(0));
        }
    }

    @Test
    @Timeout(30)
    void atStartAnOptionalEntryServesWithoutTheRefusedJar() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            h.moveIn(nettyJar(h, "1.0.1"), JAR);

            h.start(h.yaml(h.optionalVersionHeaderChain()));

            List<String> refusals = h.logs.matching("ERROR", "plugin jar " + JAR + " refused");
            assertEquals(1, refusals.size(), h.logs.dump());
            assertTrue(refusals.get(0).contains(REFUSAL), refusals.get(0));
            assertNull(h.versionServed(), "served by load-balancer alone");
        }
    }
}
