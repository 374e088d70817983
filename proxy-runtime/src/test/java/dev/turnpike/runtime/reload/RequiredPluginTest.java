package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.plugin.TestJars;
import dev.turnpike.runtime.reload.plugins.ApiKeyGate;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11: no silently missing plugin. A chain of [api-key, load-balancer], where api-key (a
 * security plugin: 401 without the right {@code X-Api-Key}) must never drop out because its jar went
 * or broke: the running version stays, and says so, until the configuration takes it out. Every
 * wait polls for what the proxy says or serves; none is a fixed sleep.
 */
class RequiredPluginTest {

    private static final String ID = "api-key";
    private static final String JAR = "api-key.jar";
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private static Path gateJar(ReloadHarness h, String version) throws Exception {
        return TestJars.pluginJar(h.jars, "gate-" + version + ".jar", ID, version, ApiKeyGate.class);
    }

    private static String gateChain(ReloadHarness h, String key) {
        return "    - id: " + ID + "\n      config: { key: " + key + " }\n" + h.loadBalancerEntry();
    }

    private static int status(ReloadHarness h, String key) throws Exception {
        return key == null ? h.get("/name").statusCode() : h.get("/name", ApiKeyGate.HEADER, key).statusCode();
    }

    /** Ten requests without a key and one with {@code key}: what the gate answers, in force. */
    private static void assertGateInForce(ReloadHarness h, String key, String when) throws Exception {
        for (int i = 0; i < 10; i++) {
            assertEquals(401, status(h, null), when + ": a request without a key passed; log:\n" + h.logs.dump());
        }
        assertEquals(200, status(h, key), when + ": the right key");
    }

    private static void awaitLog(ReloadHarness h, String what, String... parts) throws InterruptedException {
        try {
            ReloadHarness.await(what, WAIT, () -> !h.logs.matching(parts).isEmpty());
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; log:\n" + h.logs.dump(), e);
        }
    }

    private static void awaitStatus(ReloadHarness h, String what, String key, int expected) throws InterruptedException {
        ReloadHarness.await(what, WAIT, () -> {
            try {
                return status(h, key) == expected;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** The gate's class loader, weakly, so that the test itself does not keep it alive. */
    private static WeakReference<ClassLoader> gateLoader(ReloadHarness h) {
        for (ChainLink link : h.proxy.reloader().current().links()) {
            if (link.pluginId().equals(ID)) {
                return new WeakReference<>(link.plugin().getClass().getClassLoader());
            }
        }
        throw new AssertionError("no " + ID + " in the chain " + h.proxy.reloader().current());
    }

    @Test
    @Timeout(60)
    void aRemovedJarKeepsTheRunningVersionUntilTheChainDropsTheEntry() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            h.moveIn(gateJar(h, "1.0.0"), JAR);
            h.start(h.yaml(gateChain(h, "s3cret")));
            assertGateInForce(h, "s3cret", "at start");
            WeakReference<ClassLoader> loader = gateLoader(h);

            int mark = h.logs.size();
            Files.delete(h.plugins.resolve(JAR));
            awaitLog(h, "the log line saying the running version is kept", "WARN", "plugin " + ID + " 1.0.0",
                    "keeping the running version");
            String kept = h.logs.matching("keeping the running version").get(0);
            System.out.println("[issue 11] " + kept);
            assertTrue(kept.contains("jar " + JAR + " removed") && kept.contains("chain entry plugins.chain[0] uses it")
                    && kept.contains("remove that entry from the configuration to take it out"), kept);
            assertGateInForce(h, "s3cret", "after the jar was deleted");
            String json = h.admin("/plugins");
            assertTrue(json.contains("\"id\":\"" + ID + "\",\"version\":\"1.0.0\"")
                    && json.contains("\"state\":\"jar removed, kept running for the chain\""), json);
            assertEquals(List.of(), h.logs.matching("unloaded plugin " + ID), h.logs.since(mark));
            assertEquals(List.of(), h.logs.matching("leaves once its requests are done"), h.logs.since(mark));

            // The kept version is the plugin in force: an edit of its config applies from it.
            h.editConfig(h.yaml(gateChain(h, "rotated")));
            awaitStatus(h, "the rotated key accepted", "rotated", 200);
            assertGateInForce(h, "rotated", "after a config edit with the jar gone");

            // Taking it out is the configuration's business: without the entry, requests pass.
            h.editConfig(h.yaml(h.loadBalancerEntry()));
            awaitStatus(h, "a request without a key passing", null, 200);
            awaitLog(h, "the kept version unloaded", "unloaded plugin " + ID + " 1.0.0");
            assertTrue(!h.admin("/plugins").contains("\"id\":\"" + ID + "\""), h.admin("/plugins"));
            ReloadHarness.await("the gate's class loader collected", WAIT, () -> {
                System.gc();
                return loader.get() == null;
            });
        }
    }

    @Test
    @Timeout(60)
    void aCorruptJarAndThenNoJarKeepTheRunningVersionAndANewJarTakesOver() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            h.moveIn(gateJar(h, "1.0.0"), JAR);
            h.start(h.yaml(gateChain(h, "s3cret")));
            assertGateInForce(h, "s3cret", "at start");

            byte[] junk = new byte[4096];
            new Random(11).nextBytes(junk);
            Path broken = Files.write(h.jars.resolve("broken.jar"), junk);
            h.moveIn(broken, JAR);
            awaitLog(h, "the corrupt jar refused", "ERROR", "plugin jar " + JAR + " refused");
            String refused = h.logs.matching("plugin jar " + JAR + " refused").get(0);
            System.out.println("[issue 11] " + refused);
            assertTrue(refused.contains("the version loaded before (" + ID + " 1.0.0") && refused.contains("keeps serving"),
                    refused);
            assertGateInForce(h, "s3cret", "after the jar was corrupted");

            Files.delete(h.plugins.resolve(JAR));
            awaitLog(h, "the log line saying the running version is kept", "WARN", "keeping the running version");
            assertGateInForce(h, "s3cret", "after the corrupt jar was deleted");

            // A jar with the id again: its version takes over, the kept one leaves.
            h.moveIn(gateJar(h, "1.1.0"), JAR);
            awaitLog(h, "the kept version let go", "a jar provides '" + ID + "' again");
            awaitLog(h, "the kept version unloaded", "unloaded plugin " + ID + " 1.0.0");
            assertGateInForce(h, "s3cret", "with the new jar");
            String json = h.admin("/plugins");
            assertTrue(json.contains("\"version\":\"1.1.0\"") && !json.contains("1.0.0") && !json.contains("kept running"), json);
        }
    }

    @Test
    @Timeout(60)
    void aConfigReloadNamingAPluginThatIsNotLoadedIsRefusedUnlessTheEntryIsOptional() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            h.moveIn(gateJar(h, "1.0.0"), JAR);
            h.start(h.yaml(gateChain(h, "s3cret")));
            long generation = h.proxy.reloader().generation();
            double failed = h.reloads("config", "failed");

            // A misspelt id for a second gate: the whole edit is refused, the key included.
            String typo = "    - id: api-kee\n";
            h.editConfig(h.yaml(gateChain(h, "changed") + typo));
            awaitLog(h, "the refusal", "ERROR", "refused", "plugins.chain[2].id");
            String refusal = h.logs.matching("refused", "plugins.chain[2].id").get(0);
            System.out.println("[issue 11] " + refusal);
            assertTrue(refusal.contains(h.config.toString()), "names the file: " + refusal);
            assertTrue(refusal.contains("no plugin 'api-kee' is loaded from " + h.plugins.toAbsolutePath()), refusal);
            assertTrue(refusal.contains("stays in force"), refusal);
            assertEquals(generation, h.proxy.reloader().generation());
            assertEquals(failed + 1, h.reloads("config", "failed"));
            assertGateInForce(h, "s3cret", "after the refused edit (the old key stays)");

            // The same entry marked optional: applied, left out, said once and shown in /plugins.
            h.editConfig(h.yaml(gateChain(h, "changed") + typo + "      optional: true\n"));
            awaitStatus(h, "the edit applied", "changed", 200);
            assertGateInForce(h, "changed", "with the optional entry left out");
            List<String> leftOut = h.logs.matching("WARN", "chain entry plugins.chain[2] (optional)", "left out");
            assertEquals(1, leftOut.size(), h.logs.dump());
            String json = h.admin("/plugins");
            assertTrue(json.contains("\"left_out\":[{\"entry\":\"plugins.chain[2]\",\"id\":\"api-kee\""), json);

            // Another edit with it still missing: not news, no second line.
            h.editConfig(h.yaml(gateChain(h, "again") + typo + "      optional: true\n"));
            awaitStatus(h, "the second edit applied", "again", 200);
            assertEquals(1, h.logs.matching("chain entry plugins.chain[2] (optional)", "left out").size(), h.logs.dump());
        }
    }

    @Test
    @Timeout(60)
    void removingTheJarOfAPluginTheChainDoesNotUseStillUnloadsIt() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            h.moveIn(gateJar(h, "1.0.0"), JAR);
            h.start(h.yaml(h.loadBalancerEntry()));
            assertEquals(200, status(h, null));

            Files.delete(h.plugins.resolve(JAR));
            awaitLog(h, "the unused plugin unloaded", "unloaded plugin " + ID + " 1.0.0");
            assertEquals(1, h.logs.matching("plugin jar " + JAR + " removed", "leaves once its requests are done").size(),
                    h.logs.dump());
            assertEquals(List.of(), h.logs.matching("keeping the running version"));
            assertTrue(!h.admin("/plugins").contains("\"id\":\"" + ID + "\""), h.admin("/plugins"));
        }
    }
}
