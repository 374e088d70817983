package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ApiVersion;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.runtime.plugin.TestJars;
import dev.turnpike.runtime.reload.plugins.ApiKeyGate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: a plugin built for another major of proxy-api is refused at load, naming the plugin, the
 * range it requires and the API this proxy runs; at start a required entry then refuses the
 * configuration, on reload the version in force keeps serving.
 */
class ApiVersionReloadTest {

    private static final String ID = "api-key";
    private static final String JAR = "api-key.jar";
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int MAJOR = Integer.parseInt(ApiVersion.CURRENT.split("\\.")[0]);
    /** What a plugin built against the next major declares. */
    private static final String NEWER = ">=" + (MAJOR + 1) + ".0.0 & <" + (MAJOR + 2) + ".0.0";
    private static final String THIS = TestJars.requiresThisApi();

    @TempDir
    Path dir;

    /** The gate plugin as {@code version}, requiring {@code requires} (none when null). */
    private static Path gateJar(ReloadHarness h, String version, String requires) throws Exception {
        Map<String, String> manifest = new HashMap<>(Map.of("Plugin-Id", ID, "Plugin-Version", version));
        if (requires != null) {
            manifest.put("Plugin-Requires", requires);
        }
        return TestJars.jar(h.jars, "gate-" + version + ".jar", manifest, List.of(ApiKeyGate.class.getName()),
                ApiKeyGate.class);
    }

    private static String gateChain(ReloadHarness h) {
        return "    - id: " + ID + "\n      config: { key: s3cret }\n" + h.loadBalancerEntry();
    }

    private static String expectedRefusal(String version) {
        return "plugin " + ID + " " + version + " requires proxy-api " + NEWER + "; this proxy has proxy-api "
                + ApiVersion.CURRENT;
    }

    /** Starts the proxy with [api-key, load-balancer], the gate's jar requiring {@code requires}, and checks it guards. */
    private static void startWithGate(ReloadHarness h, String requires) throws Exception {
        h.moveIn(gateJar(h, "1.0.0", requires), JAR);
        h.start(h.yaml(gateChain(h)));
        assertGateInForce(h, "at start");
    }

    private static void assertGateInForce(ReloadHarness h, String when) throws Exception {
        assertEquals(401, h.get("/name").statusCode(), when + ": without a key; log:\n" + h.logs.dump());
        assertEquals(200, h.get("/name", ApiKeyGate.HEADER, "s3cret").statusCode(), when + ": with the key");
    }

    @Test
    @Timeout(30)
    void atStartAPluginForANewerApiMajorIsRefusedAndItsRequiredEntryRefusesTheConfiguration() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            h.moveIn(gateJar(h, "2.0.0", NEWER), JAR);

            InvalidConfigException refused = assertThrows(InvalidConfigException.class, () -> h.start(h.yaml(gateChain(h))));
            assertTrue(refused.getMessage().contains("no plugin '" + ID + "' is loaded"), refused.getMessage());

            List<String> refusals = h.logs.matching("ERROR", "plugin jar " + JAR + " refused");
            assertEquals(1, refusals.size(), h.logs.dump());
            System.out.println("[issue 15] " + refusals.get(0));
            assertTrue(refusals.get(0).contains(expectedRefusal("2.0.0")), refusals.get(0));
        }
    }

    @Test
    @Timeout(60)
    void onReloadAPluginForANewerApiMajorIsRefusedAndTheVersionInForceKeepsServing() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            startWithGate(h, THIS);
            assertEquals(List.of(), h.logs.matching("declares no Plugin-Requires"), "a declared range is no news");
            long generation = h.proxy.reloader().generation();

            h.moveIn(gateJar(h, "2.0.0", NEWER), JAR);
            ReloadHarness.await("the refusal", WAIT, () -> !h.logs.matching("ERROR", "plugin jar " + JAR + " refused").isEmpty());
            String refusal = h.logs.matching("ERROR", "plugin jar " + JAR + " refused").get(0);
            System.out.println("[issue 15] " + refusal);
            assertTrue(refusal.contains(expectedRefusal("2.0.0")), refusal);
            assertTrue(refusal.contains("the version loaded before (" + ID + " 1.0.0") && refusal.contains("keeps serving"),
                    refusal);
            assertGateInForce(h, "after the refused jar");
            assertEquals(generation, h.proxy.reloader().generation(), "a refused jar must not swap the chain");
            ReloadHarness.await("the refusal in /plugins", WAIT, () -> admin(h).contains("\"refused\":[{\"jar\":\"" + JAR + "\""));
            String json = admin(h);
            assertTrue(json.contains(expectedRefusal("2.0.0")) && json.contains("\"version\":\"1.0.0\""), json);

            // A compatible jar again: loaded and in force, and no longer listed as refused.
            h.moveIn(gateJar(h, "1.1.0", THIS), JAR);
            ReloadHarness.await("1.1.0 in the chain", WAIT, () -> admin(h).contains("\"refused\":[]")
                    && admin(h).contains("\"version\":\"1.1.0\""));
            assertGateInForce(h, "with the compatible 1.1.0");
        }
    }

    @Test
    @Timeout(30)
    void aPluginWithoutPluginRequiresLoadsWithAWarning() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            startWithGate(h, null);
            List<String> warnings = h.logs.matching("WARN", "plugin " + ID + " 1.0.0", "declares no Plugin-Requires");
            assertEquals(1, warnings.size(), h.logs.dump());
            assertTrue(warnings.get(0).contains("proxy-api " + ApiVersion.CURRENT) && warnings.get(0).contains(THIS),
                    warnings.get(0));
        }
    }

    private static String admin(ReloadHarness h) {
        try {
            return h.admin("/plugins");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
