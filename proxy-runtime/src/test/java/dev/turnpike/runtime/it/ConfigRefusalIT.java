package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.runtime.it.ProxyProcess.CliRun;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The packaged jar refuses a bad configuration before it listens, with and without {@code --check}:
 * exit code 1 within seconds, and one line on stderr naming the file, the key and the reason.
 */
class ConfigRefusalIT {

    /** JVM start, config load, plugin load: a refusal that takes longer than this is a hang. */
    private static final Duration EXIT_WITHIN = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    /**
     * @param name     the case
     * @param yaml     the file's text, with {@code PLUGINS} standing for the quoted plugin directory
     *                 and {@code PORT} for a free port; null for no file at all
     * @param expected what stderr must contain besides the file name
     */
    record Case(String name, String yaml, List<String> expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> refusals() {
        List<Case> cases = List.of(
                new Case("unknown key server.listn",
                        "server:\n  listn: 127.0.0.1:PORT\n",
                        List.of("server.listn", "unknown key")),
                new Case("listen not host:port",
                        "server:\n  listen: 'localhost'\n",
                        List.of("server.listen", "'localhost' is not host:port")),
                new Case("listen port out of range",
                        "server:\n  listen: 127.0.0.1:70000\n",
                        List.of("server.listen", "outside 1..65535")),
                new Case("load-balancer backend not host:port",
                        "server:\n  listen: 127.0.0.1:PORT\n  workers: 1\n"
                                + "plugins:\n  dir: PLUGINS\n  chain:\n"
                                + "    - id: load-balancer\n      config:\n        backends: ['127.0.0.1:9001', 'no-port-here']\n",
                        List.of("plugins.chain[0].config.backends[1]", "'no-port-here' is not host:port")),
                new Case("missing file", null, List.of("no such file")),
                new Case("YAML syntax error",
                        "server:\n  listen: [127.0.0.1:PORT\n  workers: 1\n",
                        List.of("line ", "column "))); // snakeyaml's wording varies; the position must be there
        List<Arguments> args = new ArrayList<>();
        for (Case c : cases) {
            args.add(Arguments.of(c, true));
            args.add(Arguments.of(c, false));
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0}, --check={1}")
    @MethodSource("refusals")
    void refusesWithExitCodeOneNamingFileKeyAndReason(Case c, boolean check) throws Exception {
        Path config = dir.resolve(c.yaml() == null ? "does-not-exist.yaml" : "refused.yaml");
        if (c.yaml() != null) {
            Files.writeString(config, c.yaml()
                    .replace("PLUGINS", ProxyProcess.quote(pluginsDir().toString()))
                    .replace("PORT", String.valueOf(ProxyProcess.freePort())));
        }
        List<String> args = new ArrayList<>(List.of("--config", config.toString()));
        if (check) {
            args.add("--check");
        }
        CliRun run = ProxyProcess.runCli(dir, EXIT_WITHIN, args.toArray(String[]::new));

        List<org.junit.jupiter.api.function.Executable> checks = new ArrayList<>();
        checks.add(() -> assertEquals(1, run.exitCode(), () -> "exit code; " + run));
        checks.add(() -> assertTrue(run.stderr().contains(config.toString()), () -> "stderr names the file; " + run));
        for (String e : c.expected()) {
            checks.add(() -> assertTrue(run.stderr().contains(e), () -> "stderr contains '" + e + "'; " + run));
        }
        checks.add(() -> assertFalse(run.stdout().contains("is valid"), () -> "no 'valid' on stdout; " + run));
        checks.add(() -> assertEquals(List.of(), run.tmpLeftovers(), () -> "nothing left in the temp dir; " + run));
        assertAll(c.name(), checks);
    }

    @Test
    void checkRefusesAChainEntryWhosePluginIsNotLoaded() throws Exception {
        Path config = dir.resolve("typo.yaml");
        Files.writeString(config, ProxyProcess.yaml("127.0.0.1:" + ProxyProcess.freePort(), 1, pluginsDir(),
                List.of("127.0.0.1:9001")).replace("id: load-balancer", "id: round-robn"));
        CliRun run = ProxyProcess.runCli(dir, EXIT_WITHIN, "--config", config.toString(), "--check");
        assertAll(
                () -> assertEquals(1, run.exitCode(), () -> "exit code; " + run),
                () -> assertTrue(run.stderr().contains("plugins.chain[0].id") && run.stderr().contains("round-robn"),
                        () -> "stderr names the entry and the id; " + run),
                () -> assertTrue(!run.stdout().contains("is valid"), () -> "not called valid; " + run));
    }

    @Test
    void checkAcceptsAGoodConfigWithoutListening() throws Exception {
        int port = ProxyProcess.freePort();
        Path config = dir.resolve("good.yaml");
        Files.writeString(config, ProxyProcess.yaml("127.0.0.1:" + port, 1, pluginsDir(),
                List.of("127.0.0.1:9001", "127.0.0.1:9002")));
        CliRun run = ProxyProcess.runCli(dir, EXIT_WITHIN, "--config", config.toString(), "--check");
        assertAll(
                () -> assertEquals(0, run.exitCode(), () -> "exit code; " + run),
                () -> assertTrue(run.stdout().contains("is valid"), () -> "stdout says valid; " + run),
                () -> assertTrue(run.stdout().contains(config.toString()), () -> "stdout names the file; " + run),
                () -> assertTrue(run.stdout().contains("load-balancer"), () -> "stdout names the chain; " + run),
                () -> assertEquals("", run.stderr().strip(), () -> "nothing on stderr; " + run),
                () -> assertTrue(!run.stdout().contains("generation"), () -> "--check speaks of no generation; " + run),
                () -> assertEquals(List.of(), run.tmpLeftovers(), () -> "plugin staging removed; " + run));
    }

    @Test
    void listenAddressInUseIsExitThree() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            Path config = dir.resolve("taken.yaml");
            Files.writeString(config, ProxyProcess.yaml("127.0.0.1:" + taken.getLocalPort(), 1, pluginsDir(),
                    List.of("127.0.0.1:9")));
            CliRun run = ProxyProcess.runCli(dir, EXIT_WITHIN, "--config", config.toString());
            assertAll(
                    () -> assertEquals(3, run.exitCode(), () -> "exit code; " + run),
                    () -> assertTrue(run.stderr().contains("cannot start"), () -> "stderr says why; " + run),
                    () -> assertTrue(run.stderr().toLowerCase(java.util.Locale.ROOT).contains("address already in use"),
                            () -> "stderr says why; " + run),
                    () -> assertEquals(List.of(), run.tmpLeftovers(), () -> "plugin staging removed; " + run));
        }
    }

    @Test
    void unknownArgumentIsUsageErrorTwo() throws Exception {
        CliRun run = ProxyProcess.runCli(dir, EXIT_WITHIN, "--chekc");
        assertAll(
                () -> assertEquals(2, run.exitCode(), () -> "exit code; " + run),
                () -> assertTrue(run.stderr().contains("--chekc"), () -> "stderr names the argument; " + run));
    }

    @Test
    void configWithoutFileIsUsageErrorTwo() throws Exception {
        CliRun run = ProxyProcess.runCli(dir, EXIT_WITHIN, "--config");
        assertAll(
                () -> assertEquals(2, run.exitCode(), () -> "exit code; " + run),
                () -> assertTrue(run.stderr().contains("--config"), () -> "stderr names the option; " + run));
    }

    /** A plugin directory in the temp dir with the packaged load-balancer jar. */
    private Path pluginsDir() throws IOException {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Path jar = ProxyProcess.loadBalancerJar();
        Files.copy(jar, plugins.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        return plugins;
    }
}
