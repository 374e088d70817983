package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.turnpike.testing.TestBackend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution tarball ({@code make dist}, built by proxy-runtime's package phase), unpacked in a
 * temp folder and run through {@code bin/turnpike} from another working directory, as an operator
 * would: the layout, the shipped configuration passing {@code --check}, a relative {@code --config}
 * taken from the caller's directory, {@code JAVA_OPTS} replacing the default JVM flags, and a proxy
 * started with those defaults serving a request to a real backend and exiting 0 on SIGTERM.
 *
 * <p>The tarball comes from the system property {@code turnpike.dist} (set by failsafe); the bundled
 * plugin modules from {@code turnpike.pluginsBuildDir}. Unpacking uses the system's {@code tar}.
 */
class DistributionIT {

    private static final String[] DEFAULT_JVM_FLAGS = {"-XX:+UseSerialGC", "-Xms80m", "-Xmx80m", "-Xmn40m"};
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void tarballHoldsLauncherLibrariesConfigEveryBundledPluginAndTheUnit() throws Exception {
        Path root = unpack();

        Path launcher = root.resolve("bin/turnpike");
        assertTrue(Files.isExecutable(launcher), "bin/turnpike is executable");
        assertTrue(Files.readString(launcher).startsWith("#!/bin/sh\n"), "bin/turnpike is a POSIX sh script");
        assertTrue(Files.isRegularFile(root.resolve("lib/turnpike.jar")), "lib/turnpike.jar");
        assertTrue(hasJar(root.resolve("lib"), "netty-"), "the runtime's dependencies are in lib/");
        assertTrue(Files.isRegularFile(root.resolve("conf/proxy.yaml")), "conf/proxy.yaml");
        String unit = Files.readString(root.resolve("systemd/turnpike.service"));
        assertTrue(unit.contains("ExecStart=/opt/turnpike/bin/turnpike --config /etc/turnpike/proxy.yaml\n"), unit);
        assertTrue(unit.contains("ExecStartPre=/opt/turnpike/bin/turnpike --config /etc/turnpike/proxy.yaml --check\n"), unit);
        assertTrue(unit.contains("ExecReload=/bin/kill -HUP $MAINPID\n"), unit);

        // Every bundled plugin module must ship: a module added under plugins/ without its line in
        // src/assembly/dist.xml fails here, by name.
        Path modules = Path.of(System.getProperty("turnpike.pluginsBuildDir"));
        List<String> missing = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(modules, Files::isDirectory)) {
            for (Path module : s) {
                String name = module.getFileName().toString();
                if (Files.isRegularFile(module.resolve("pom.xml")) && !Files.isRegularFile(root.resolve("plugins/" + name + ".jar"))) {
                    missing.add(name);
                }
            }
        }
        assertEquals(List.of(), missing, "bundled plugins missing from the tarball's plugins/ (add them to src/assembly/dist.xml)");
    }

    @Test
    @Timeout(120)
    void shippedConfigPassesCheckFromAnotherDirectoryThroughASymlinkWithJavaFromPath() throws Exception {
        Path root = unpack();
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Path link = Files.createSymbolicLink(Files.createDirectories(dir.resolve("links")).resolve("turnpike"),
                root.resolve("bin/turnpike"));

        Map<String, String> env = Map.of("PATH", Path.of(System.getProperty("java.home"), "bin") + ":/usr/bin:/bin");
        Run check = run(elsewhere, env, link.toString(), "--check");

        assertEquals(0, check.exitCode, check.toString());
        // The default --config is conf/proxy.yaml under the root, and its plugins.dir: plugins too:
        // the shipped chain's plugins were found there, not in the caller's directory.
        assertTrue(check.stdout.contains("configuration conf/proxy.yaml is valid"), check.toString());
        assertTrue(check.stdout.contains("load-balancer"), check.toString());
    }

    @Test
    @Timeout(120)
    void relativeConfigIsTakenFromTheCallersDirectoryAndJavaOptsReplaceTheDefaults() throws Exception {
        Path root = unpack();
        Path caller = Files.createDirectories(dir.resolve("caller"));
        Files.writeString(caller.resolve("mine.yaml"), config(ProxyProcess.freePort(), 1));

        // -XX:+PrintCommandLineFlags prints the JVM's flags first: 48m as asked, not the default 80m
        // heap, and no 40m young generation (the defaults are replaced, not added to).
        Map<String, String> env = Map.of(
                "JAVA_HOME", System.getProperty("java.home"),
                "JAVA_OPTS", "-XX:+PrintCommandLineFlags -Xmx48m");
        Run check = run(caller, env, root.resolve("bin/turnpike").toString(), "-c", "mine.yaml", "--check");

        assertEquals(0, check.exitCode, check.toString());
        assertTrue(check.stdout.contains("configuration " + caller.toRealPath().resolve("mine.yaml") + " is valid")
                || check.stdout.contains("configuration " + caller.resolve("mine.yaml") + " is valid"), check.toString());
        assertTrue(check.stdout.contains("-XX:MaxHeapSize=" + 48L * 1024 * 1024), check.toString());
        assertFalse(check.stdout.contains("-XX:NewSize=" + 40L * 1024 * 1024), check.toString());
    }

    @Test
    @Timeout(120)
    void launcherRunsTheJvmItselfWithTheDefaultFlagsServesAndExitsZeroOnSigterm() throws Exception {
        Path root = unpack();
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Path jvmTmp = Files.createDirectories(dir.resolve("jvm-tmp"));
        Path log = dir.resolve("proxy.log");
        try (TestBackend backend = new TestBackend("dist-backend")) {
            int port = ProxyProcess.freePort();
            // The default --config: the unpacked conf/proxy.yaml, its plugins.dir relative.
            Files.writeString(root.resolve("conf/proxy.yaml"), config(port, backend.start()));

            ProcessBuilder pb = new ProcessBuilder(root.resolve("bin/turnpike").toString())
                    .directory(elsewhere.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            pb.environment().remove("JAVA_OPTS");
            pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
            // Beside the launcher's flags, not in place of them: a temp folder of its own (to see the
            // plugin staging go on stop) and the leak detector the other tests run at.
            pb.environment().put("JAVA_TOOL_OPTIONS", "-Djava.io.tmpdir=" + jvmTmp + " " + ProxyProcess.LEAK_LEVEL);
            Process proxy = pb.start();
            try {
                awaitListening(proxy, port, log);

                // exec: the process started is the JVM itself, so signals reach it, with the flags.
                ProcessHandle.Info info = proxy.info();
                assertTrue(info.command().orElse("").endsWith("/java"), "the launcher execs java: " + info);
                List<String> args = Arrays.asList(info.arguments().orElse(new String[0]));
                for (String flag : DEFAULT_JVM_FLAGS) {
                    assertTrue(args.contains(flag), flag + " among " + args);
                }

                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                HttpResponse<String> response = http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/name")).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode(), response.body());
                assertEquals("dist-backend", response.body());

                proxy.destroy(); // SIGTERM
                assertTrue(proxy.waitFor(30, TimeUnit.SECONDS), "exited within 30 s of SIGTERM; log:\n" + read(log));
                assertEquals(0, proxy.exitValue(), "exit code after SIGTERM; log:\n" + read(log));
            } finally {
                proxy.destroyForcibly();
            }
            String text = read(log);
            assertFalse(text.contains(ProxyProcess.LEAK_MARKER), "a Netty leak report in the log:\n" + text);
            assertEquals(List.of(), ProxyProcess.leftovers(jvmTmp), "left in its temp folder after a graceful stop");
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** A configuration with relative paths only: listen on {@code port}, load-balancer to 127.0.0.1:{@code backendPort}. */
    private static String config(int port, int backendPort) {
        return "server:\n"
                + "  listen: '127.0.0.1:" + port + "'\n"
                + "  workers: 1\n"
                + "  grace_period: 5s\n"
                + "metrics:\n"
                + "  listen: '127.0.0.1:0'\n"
                + "plugins:\n"
                + "  dir: plugins\n"
                + "  chain:\n"
                + "    - id: load-balancer\n"
                + "      config: { backends: ['127.0.0.1:" + backendPort + "'] }\n";
    }

    /** Unpacks the tarball into {@code dir/install} with {@code tar} (keeping modes). @return its root folder */
    private Path unpack() throws IOException, InterruptedException {
        String p = System.getProperty("turnpike.dist");
        if (p == null) {
            fail("system property turnpike.dist is not set (run the *IT classes through failsafe: mvn verify)");
        }
        Path tarball = Path.of(p);
        if (!Files.isRegularFile(tarball)) {
            fail("no distribution tarball at " + tarball + " (is the package phase done?)");
        }
        Path install = Files.createDirectories(dir.resolve("install"));
        Run tar = run(install, Map.of("PATH", "/usr/bin:/bin"), "tar", "xzf", tarball.toString());
        assertEquals(0, tar.exitCode, tar.toString());
        String name = tarball.getFileName().toString().replaceFirst("\\.tar\\.gz$", "");
        Path root = install.resolve(name);
        assertTrue(Files.isDirectory(root), "the tarball's one top folder is " + name);
        try (DirectoryStream<Path> s = Files.newDirectoryStream(install)) {
            int entries = 0;
            for (Path ignored : s) {
                entries++;
            }
            assertEquals(1, entries, "one top folder in the tarball");
        }
        return root;
    }

    private record Run(int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout:\n" + stdout + "\n--- stderr:\n" + stderr;
        }
    }

    /** Runs {@code command} in {@code cwd} with only {@code env} as its environment, until it exits. */
    private Run run(Path cwd, Map<String, String> env, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "run-", ".out");
        Path err = Files.createTempFile(dir, "run-", ".err");
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(CLI_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not exit within " + CLI_TIMEOUT.toSeconds() + " s\n--- stdout:\n"
                    + read(out) + "\n--- stderr:\n" + read(err));
        }
        return new Run(p.exitValue(), read(out), read(err));
    }

    private static void awaitListening(Process proxy, int port, Path log) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!proxy.isAlive()) {
                fail("bin/turnpike exited with " + proxy.exitValue() + " before listening; log:\n" + read(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        fail("bin/turnpike did not listen on " + port + " within 30 s; log:\n" + read(log));
    }

    private static boolean hasJar(Path folder, String prefix) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(folder, prefix + "*.jar")) {
            return s.iterator().hasNext();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }
}
