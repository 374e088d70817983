package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code make run} as an operator runs it, against a configuration of the test's own (CONFIG) and
 * demo backends on free ports (DEMO_PORTS); {@code -o build} so that it runs the packaged jar
 * without building. The proxy forwards a 12 KB request head to a demo backend, which answers;
 * Ctrl-C (SIGINT to make's process group) or SIGTERM to make stops the backends and the proxy,
 * gracefully, and make prints no error line.
 */
class MakeRunIT {

    private static final Duration UP_WITHIN = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void ctrlCStopsAllThreeWithoutAnErrorLine() throws Exception {
        runThenStop(true);
    }

    @Test
    @Timeout(120)
    void sigtermToMakeStopsAllThreeWithoutAnErrorLine() throws Exception {
        runThenStop(false);
    }

    private void runThenStop(boolean ctrlC) throws Exception {
        int b1 = ProxyProcess.freePort();
        int b2 = ProxyProcess.freePort();
        Path config = ProxyProcess.builder(dir).backends("127.0.0.1:" + b1, "127.0.0.1:" + b2).writeConfig();
        int proxyPort = listenPort(config);
        Path out = dir.resolve("make.out");
        Path root = Path.of(System.getProperty("turnpike.pluginsBuildDir")).toAbsolutePath().normalize().getParent();
        // setsid: make leads a process group of its own, as it does in a terminal, so that Ctrl-C
        // can be sent to that group.
        Process make = new ProcessBuilder("setsid", "make", "--no-print-directory", "-C", root.toString(), "-o", "build", "run",
                "CONFIG=" + config, "DEMO_PORTS=" + b1 + " " + b2, "JAVA=" + ProxyProcess.javaBin(),
                "JAVA_OPTS=" + ProxyProcess.HEAP)
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        List<ProcessHandle> started = List.of();
        try {
            for (int port : new int[] {b1, b2, proxyPort}) {
                awaitListening(port, make, out);
            }
            started = make.descendants().toList();

            String big = "x".repeat(12 * 1024);
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + "/"))
                    .header("X-Big", big).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), "a 12 KB header through make run's proxy to a demo backend; " + r.body());
            assertTrue(r.body().contains("backend-"), r.body());

            // make is setsid's process (setsid execs it), so its pid leads the group.
            List<String> kill = ctrlC ? List.of("kill", "-INT", "--", "-" + make.pid()) : List.of("kill", "-TERM", String.valueOf(make.pid()));
            assertEquals(0, new ProcessBuilder(kill).inheritIO().start().waitFor());
            if (!make.waitFor(60, TimeUnit.SECONDS)) {
                fail("make run did not stop within 60 s; its output:\n" + read(out));
            }
            String text = read(out);
            for (String line : text.lines().toList()) {
                assertFalse(line.startsWith("make") || line.contains("***") || line.contains("ERROR"),
                        "an error line: " + line + "\n--- output:\n" + text);
            }
            assertTrue(text.contains("SIGTERM: stopping"), "the proxy stopped gracefully:\n" + text);
            assertTrue(text.lines().anyMatch(l -> l.endsWith(" stopped")), "the proxy's stop finished:\n" + text);
            assertFalse(text.contains("cannot take over an ignored signal"), "the proxy got its signals:\n" + text);
            for (ProcessHandle p : started) {
                assertTrue(p.onExit().get(10, TimeUnit.SECONDS) != null && !p.isAlive(), p + " " + p.info());
            }
            for (int port : new int[] {b1, b2, proxyPort}) {
                assertFalse(accepts(port), "port " + port + " still accepts after make run stopped");
            }
        } finally {
            make.descendants().forEach(ProcessHandle::destroyForcibly);
            started.forEach(ProcessHandle::destroyForcibly);
            make.destroyForcibly();
        }
    }

    private static int listenPort(Path config) throws IOException {
        Matcher m = Pattern.compile("listen: '127\\.0\\.0\\.1:(\\d+)'").matcher(Files.readString(config));
        assertTrue(m.find(), "no listen in " + config);
        return Integer.parseInt(m.group(1));
    }

    private static void awaitListening(int port, Process make, Path out) throws InterruptedException {
        long deadline = System.nanoTime() + UP_WITHIN.toNanos();
        while (!accepts(port)) {
            if (!make.isAlive() || System.nanoTime() > deadline) {
                fail("nothing listens on " + port + " (make " + (make.isAlive() ? "running" : "exited " + make.exitValue())
                        + "); output:\n" + read(out));
            }
            Thread.sleep(50);
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
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
