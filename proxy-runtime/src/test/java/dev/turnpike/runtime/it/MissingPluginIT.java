package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.turnpike.runtime.it.ProxyProcess.CliRun;
import dev.turnpike.runtime.plugin.TestJars;
import dev.turnpike.runtime.reload.plugins.ApiKeyGate;
import dev.turnpike.testing.TestBackend;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 11, no silently missing plugin, on the packaged proxy started as {@code make run} starts it
 * ({@code java -jar turnpike.jar --config FILE}): a chain entry whose plugin is not loaded refuses
 * the start unless it says {@code optional: true}, and a running proxy keeps a plugin the chain uses
 * when its jar is deleted.
 */
class MissingPluginIT {

    /** JVM start, config load, plugin load: a refusal that takes longer than this is a hang. */
    private static final Duration EXIT_WITHIN = Duration.ofSeconds(15);
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String TYPO = "    - id: round-robn\n";

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private int status(ProxyProcess proxy, String apiKey) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(proxy.uri("/name")).timeout(Duration.ofSeconds(10));
        if (apiKey != null) {
            b.header(ApiKeyGate.HEADER, apiKey);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static void await(ProxyProcess proxy, String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + WAIT.toSeconds() + " s waiting for " + what + "; log:\n"
                        + ProxyProcess.tail(proxy.log(), 8_000));
            }
            proxy.assertAlive();
            Thread.sleep(20);
        }
    }

    @ParameterizedTest(name = "--check={0}")
    @ValueSource(booleans = {false, true})
    void aMisspeltPluginIdRefusesTheStartNamingTheEntryTheFileAndTheFolder(boolean check) throws Exception {
        Path config = ProxyProcess.builder(dir).chainYaml(TYPO + ProxyProcess.chainEntries(List.of("127.0.0.1:9"))).writeConfig();
        Path plugins = dir.resolve("plugins").toAbsolutePath();
        List<String> args = new ArrayList<>(List.of("--config", config.toString()));
        if (check) {
            args.add("--check");
        }
        CliRun run = ProxyProcess.runCli(dir, EXIT_WITHIN, args.toArray(String[]::new));
        System.out.println("[issue 11] --check=" + check + ": " + run.stderr().strip());
        assertAll(
                () -> assertEquals(1, run.exitCode(), () -> "exit code; " + run),
                () -> assertTrue(run.stderr().contains("configuration refused: " + config), () -> "names the file; " + run),
                () -> assertTrue(run.stderr().contains("plugins.chain[0].id: no plugin 'round-robn'"),
                        () -> "names the entry and the id; " + run),
                () -> assertTrue(run.stderr().contains("is loaded from " + plugins), () -> "names the folder; " + run),
                () -> assertTrue(run.stderr().contains("loaded there: load-balancer"), () -> "says what is there; " + run),
                () -> assertTrue(run.stderr().contains("optional: true"), () -> "says how to run without it; " + run),
                () -> assertFalse(run.stdout().contains("is valid"), () -> "not called valid; " + run),
                () -> assertEquals(List.of(), run.tmpLeftovers(), () -> "plugin staging removed; " + run));
    }

    @Test
    @Timeout(60)
    void anOptionalEntryWhosePluginIsNotLoadedStartsAndServes() throws Exception {
        try (TestBackend backend = new TestBackend("served")) {
            backend.start();
            String chain = TYPO + "      optional: true\n" + ProxyProcess.chainEntries(List.of("127.0.0.1:" + backend.port()));
            try (ProxyProcess proxy = ProxyProcess.builder(dir).chainYaml(chain).start()) {
                assertEquals(200, status(proxy, null), () -> "log:\n" + proxy.log());
                List<String> leftOut = proxy.log().lines()
                        .filter(l -> l.contains(" WARN ") && l.contains("chain entry plugins.chain[0] (optional)")
                                && l.contains("no plugin 'round-robn' is loaded from " + proxy.pluginsDir().toAbsolutePath())
                                && l.contains("left out"))
                        .toList();
                assertEquals(1, leftOut.size(), () -> "one WARN line for the left-out entry; log:\n" + proxy.log());
                System.out.println("[issue 11] " + leftOut.get(0));
            }
        }
    }

    @Test
    void checkCallsAnOptionalEntryValidAndSaysItIsLeftOut() throws Exception {
        Path config = ProxyProcess.builder(dir)
                .chainYaml(TYPO + "      optional: true\n" + ProxyProcess.chainEntries(List.of("127.0.0.1:9"))).writeConfig();
        CliRun run = ProxyProcess.runCli(dir, EXIT_WITHIN, "--config", config.toString(), "--check");
        assertAll(
                () -> assertEquals(0, run.exitCode(), () -> "exit code; " + run),
                () -> assertTrue(run.stdout().contains("is valid") && run.stdout().contains("load-balancer"), () -> "valid; " + run),
                () -> assertTrue(run.stdout().contains("plugins.chain[0] (optional): no plugin 'round-robn'"),
                        () -> "says what is left out; " + run));
    }

    @Test
    @Timeout(90)
    void aDeletedJarOfAPluginTheChainUsesKeepsAnsweringUntilTheChainDropsIt() throws Exception {
        Path jars = Files.createDirectories(dir.resolve("jars"));
        Path gate = TestJars.pluginJar(jars, "api-key.jar", "api-key", "1.0.0", ApiKeyGate.class);
        try (TestBackend backend = new TestBackend("behind-the-gate")) {
            backend.start();
            String lb = ProxyProcess.chainEntries(List.of("127.0.0.1:" + backend.port()));
            try (ProxyProcess proxy = ProxyProcess.builder(dir).pluginJars(gate)
                    .chainYaml("    - id: api-key\n      config: { key: s3cret }\n" + lb).start()) {
                assertEquals(401, status(proxy, null), () -> "log:\n" + proxy.log());
                assertEquals(200, status(proxy, "s3cret"));

                Files.delete(proxy.pluginsDir().resolve("api-key.jar"));
                await(proxy, "the log line saying the running version is kept",
                        () -> proxy.log().contains("keeping the running version"));
                String line = proxy.log().lines().filter(l -> l.contains("keeping the running version")).findFirst().orElseThrow();
                System.out.println("[issue 11] " + line);
                assertTrue(line.contains(" WARN ") && line.contains("plugin api-key 1.0.0") && line.contains("jar api-key.jar removed")
                        && line.contains("chain entry plugins.chain[0] uses it"), line);
                for (int i = 0; i < 10; i++) {
                    assertEquals(401, status(proxy, null), () -> "a request without a key passed; log:\n" + proxy.log());
                }
                assertEquals(200, status(proxy, "s3cret"));

                // The operator takes it out by editing the chain (written as editors do: a rename over the file).
                String yaml = Files.readString(proxy.config());
                String without = yaml.replace("    - id: api-key\n      config: { key: s3cret }\n", "");
                assertTrue(!without.equals(yaml), "setup: the entry is in the file:\n" + yaml);
                Path tmp = dir.resolve(".proxy.yaml.swp");
                Files.writeString(tmp, without);
                Files.move(tmp, proxy.config(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                await(proxy, "a request without a key passing", () -> {
                    try {
                        return status(proxy, null) == 200;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                await(proxy, "the kept version unloaded", () -> proxy.log().contains("unloaded plugin api-key 1.0.0"));
                proxy.assertAlive();
            }
        }
    }
}
