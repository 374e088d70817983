package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Issue 5, admin view: GET /plugins on the metrics listener. */
class PluginsEndpointTest {

    @TempDir
    Path dir;

    private static long generation(String json) {
        Matcher m = Pattern.compile("^\\{\"generation\":(\\d+),").matcher(json);
        if (!m.find()) {
            fail("no leading generation in " + json);
        }
        return Long.parseLong(m.group(1));
    }

    /** The object of plugin {@code id} in the "plugins" array. */
    private static String plugin(String json, String id) {
        int plugins = json.indexOf("\"plugins\":[");
        assertTrue(plugins > 0, json);
        Matcher m = Pattern.compile("\\{\"id\":\"" + Pattern.quote(id) + "\"[^}]*\\}").matcher(json);
        if (!m.find(plugins)) {
            fail("no plugin " + id + " in " + json);
        }
        return m.group();
    }

    @Test
    @Timeout(30)
    void listsPluginsWithVersionHashStateAndPositionAndTheGeneration() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            Path v1 = h.versionJar("1.0.1");
            h.moveIn(v1, ReloadHarness.JAR_NAME);
            h.start(h.yaml(h.versionHeaderChain()));
            String json = h.admin("/plugins");
            System.out.println("[reload] GET /plugins: " + json);
            long g1 = generation(json);
            assertEquals(1, g1, json);
            assertEquals(h.proxy.reloader().generation(), g1);
            String vh = plugin(json, "version-header");
            assertTrue(vh.contains("\"version\":\"1.0.1\""), vh);
            assertTrue(vh.contains("\"sha256\":\"" + ReloadHarness.sha256(v1) + "\""), vh);
            assertTrue(vh.contains("\"state\":\"in chain\""), vh);
            assertTrue(vh.contains("\"chain_positions\":[0]"), vh);
            String rr = plugin(json, "load-balancer");
            assertTrue(rr.contains("\"chain_positions\":[1]"), rr);
            assertTrue(rr.contains("\"sha256\":\"" + ReloadHarness.sha256(h.plugins.resolve("load-balancer.jar")) + "\""), rr);

            // a replaced jar: a new generation, the new version and hash
            Path v2 = h.versionJar("1.0.2");
            h.moveIn(v2, ReloadHarness.JAR_NAME);
            h.awaitVersion("1.0.2", Duration.ofSeconds(3));
            ReloadHarness.await("/plugins showing 1.0.2", Duration.ofSeconds(2), () -> {
                try {
                    return h.admin("/plugins").contains("\"version\":\"1.0.2\"");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            json = h.admin("/plugins");
            System.out.println("[reload] GET /plugins after a replace: " + json);
            assertTrue(generation(json) > g1, json);
            vh = plugin(json, "version-header");
            assertTrue(vh.contains("\"sha256\":\"" + ReloadHarness.sha256(v2) + "\""), vh);
            assertTrue(vh.contains("\"chain_positions\":[0]"), vh);
            assertTrue(!json.contains("1.0.1"), "the old version is still listed: " + json);

            // a config edit that moves the plugin: new generation, new position
            long g2 = generation(json);
            h.editConfig(h.yaml(h.loadBalancerEntry() + "    - id: " + ReloadHarness.PLUGIN_ID + "\n"));
            ReloadHarness.await("a generation after " + g2, Duration.ofSeconds(3), () -> {
                try {
                    return generation(h.admin("/plugins")) > g2;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            json = h.admin("/plugins");
            assertTrue(plugin(json, "version-header").contains("\"chain_positions\":[1]"), json);
            assertTrue(plugin(json, "load-balancer").contains("\"chain_positions\":[0]"), json);

            // a chain without it: listed as loaded, not in the chain
            long g3 = generation(json);
            h.editConfig(h.yaml(h.loadBalancerEntry()));
            ReloadHarness.await("a generation after " + g3, Duration.ofSeconds(3), () -> {
                try {
                    return generation(h.admin("/plugins")) > g3;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            json = h.admin("/plugins");
            System.out.println("[reload] GET /plugins, not in the chain: " + json);
            vh = plugin(json, "version-header");
            assertTrue(vh.contains("\"state\":\"loaded, not in chain\"") && vh.contains("\"chain_positions\":[]"), vh);
            assertEquals(null, h.versionServed());
        }
    }
}
