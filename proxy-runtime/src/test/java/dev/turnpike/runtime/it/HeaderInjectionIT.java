package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import dev.turnpike.runtime.it.ProxyProcess.CliRun;
import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.TestBackend;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bundled header-injection plugin in the packaged proxy: chain [header-injection, round-robin]
 * in front of real backends, driven by real clients.
 *
 * <p>{@link ProxyProcess}'s builder writes a round-robin-only chain, so {@link Proxy} below starts
 * the jar with a chain of this test's own (the same launch: heap, leak detector, temp dir).
 */
class HeaderInjectionIT {

    private static final Duration EXIT_WITHIN = Duration.ofSeconds(15);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    /** The header-injection config the README ships (and conf/proxy.yaml takes over). */
    private static final String SHIPPED = String.join("\n",
            "trusted_proxies: [10.0.0.0/8]",
            "forwarding: { x_forwarded_for: true, x_real_ip: true, x_forwarded_proto: true,",
            "              x_forwarded_host: true, via: true, forwarded: false }",
            "request:",
            "  set: { X-Proxy: turnpike }",
            "response:",
            "  set: { X-Backend: $backend }",
            "  remove: [Server]");

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    @Test
    @Timeout(60)
    void configuredHeadersReachTheBackendAndTheClient() throws Exception {
        String config = String.join("\n",
                "trusted_proxies: [10.0.0.0/8]",
                "request:",
                "  set: { X-Proxy: turnpike, X-Request-Id: $request_id, X-Origin: '$scheme://$host' }",
                "  add: { X-Tag: [one, two] }",
                "  remove: [X-Debug]",
                "response:",
                "  set: { X-Backend: $backend, X-Client: $client_ip }",
                "  add: { X-Served-By: turnpike }",
                // TestBackend sends no Server header: X-Backend-Name, which it always sends, stands in
                // for it here; serverHeaderFromTheBackendIsRemoved covers Server itself.
                "  remove: [Server, X-Backend-Name]");
        try (TestBackend backend = new TestBackend("b1")) {
            backend.start();
            try (Proxy proxy = Proxy.start(dir, config, "127.0.0.1:" + backend.port())) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(proxy.uri("/echo"))
                        .timeout(REQUEST_TIMEOUT)
                        .header("X-Debug", "secret")
                        .header("X-Tag", "client")
                        .build(), BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), () -> "log:\n" + proxy.log());

                Map<String, List<String>> got = backend.lastRequestHeaders();
                String host = "127.0.0.1:" + proxy.port();
                assertAll("at the backend: " + got,
                        () -> assertEquals(List.of("turnpike"), got.get("X-Proxy")),
                        () -> assertEquals(List.of("client", "one", "two"), got.get("X-Tag")),
                        () -> assertNull(got.get("X-Debug"), "removed"),
                        () -> assertEquals(List.of("http://" + host), got.get("X-Origin")),
                        () -> assertEquals(1, got.get("X-Request-Id").size()),
                        () -> assertFalse(got.get("X-Request-Id").get(0).isBlank()),
                        () -> assertEquals(List.of("127.0.0.1"), got.get("X-Forwarded-For")),
                        () -> assertEquals(List.of("127.0.0.1"), got.get("X-Real-IP")),
                        () -> assertEquals(List.of("http"), got.get("X-Forwarded-Proto")),
                        () -> assertEquals(List.of(host), got.get("X-Forwarded-Host")),
                        () -> assertEquals(List.of("1.1 turnpike"), got.get("Via")),
                        () -> assertNull(got.get("Forwarded"), "off by default"));
                // /echo's body is what the backend read off the wire, not a view of it.
                assertTrue(r.body().contains("\nX-Proxy: turnpike\n"), r.body());

                assertAll("to the client: " + r.headers().map(),
                        () -> assertEquals(List.of("127.0.0.1:" + backend.port()), r.headers().allValues("X-Backend")),
                        () -> assertEquals(List.of("127.0.0.1"), r.headers().allValues("X-Client")),
                        () -> assertEquals(List.of("turnpike"), r.headers().allValues("X-Served-By")),
                        () -> assertEquals(List.of(), r.headers().allValues("X-Backend-Name"), "removed"),
                        () -> assertTrue(r.headers().firstValue("Content-Type").isPresent(), "others kept"));
                proxy.assertAlive();
            }
        }
    }

    @Test
    @Timeout(60)
    void serverHeaderFromTheBackendIsRemoved() throws Exception {
        HttpServer backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Server", "Apache/2.4.62 (Unix)");
            exchange.getResponseHeaders().set("X-Kept", "yes");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        backend.start();
        try (Proxy proxy = Proxy.start(dir, SHIPPED, "127.0.0.1:" + backend.getAddress().getPort())) {
            // The backend does send it (else this test would prove nothing).
            HttpResponse<String> direct = client.send(HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + backend.getAddress().getPort() + "/")).build(),
                    BodyHandlers.ofString());
            assertEquals("Apache/2.4.62 (Unix)", direct.headers().firstValue("Server").orElse(null));

            HttpResponse<String> r = client.send(HttpRequest.newBuilder(proxy.uri("/"))
                    .timeout(REQUEST_TIMEOUT).build(), BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), () -> "log:\n" + proxy.log());
            assertEquals("hello", r.body());
            assertEquals(List.of(), r.headers().allValues("Server"), () -> "headers: " + r.headers().map());
            assertEquals(List.of("yes"), r.headers().allValues("X-Kept"));
            assertEquals(List.of("127.0.0.1:" + backend.getAddress().getPort()), r.headers().allValues("X-Backend"));
            proxy.assertAlive();
        } finally {
            backend.stop(0);
        }
    }

    @Test
    @Timeout(60)
    void spoofedForwardingHeadersFromAnUntrustedPeerAreReplaced() throws Exception {
        // The test client connects from 127.0.0.1, outside 10.0.0.0/8.
        String config = "trusted_proxies: [10.0.0.0/8]\nforwarding: { forwarded: true }\n";
        try (TestBackend backend = new TestBackend("b1")) {
            backend.start();
            try (Proxy proxy = Proxy.start(dir, config, "127.0.0.1:" + backend.port())) {
                RawHttp.Response r = raw(proxy, "GET /echo HTTP/1.1\r\n"
                        + "Host: www.example.com\r\n"
                        + "X-Forwarded-For: 6.6.6.6, 10.0.0.1\r\n"
                        + "X-Real-IP: 6.6.6.6\r\n"
                        + "X-Forwarded-Proto: https\r\n"
                        + "X-Forwarded-Host: evil.example\r\n"
                        + "Forwarded: for=6.6.6.6\r\n"
                        + "Connection: close\r\n\r\n");
                assertEquals(200, r.status(), () -> "log:\n" + proxy.log());
                Map<String, List<String>> got = backend.lastRequestHeaders();
                assertAll("at the backend: " + got,
                        () -> assertEquals(List.of("127.0.0.1"), got.get("X-Forwarded-For")),
                        () -> assertEquals(List.of("127.0.0.1"), got.get("X-Real-IP")),
                        () -> assertEquals(List.of("http"), got.get("X-Forwarded-Proto")),
                        () -> assertEquals(List.of("www.example.com"), got.get("X-Forwarded-Host")),
                        () -> assertEquals(List.of("for=127.0.0.1;proto=http;host=www.example.com"), got.get("Forwarded")));
            }
        }
    }

    @Test
    @Timeout(60)
    void forwardingHeadersFromATrustedPeerAreAppendedTo() throws Exception {
        String config = "trusted_proxies: [127.0.0.1/32]\nforwarding: { forwarded: true }\n";
        try (TestBackend backend = new TestBackend("b1")) {
            backend.start();
            try (Proxy proxy = Proxy.start(dir, config, "127.0.0.1:" + backend.port())) {
                RawHttp.Response r = raw(proxy, "GET /echo HTTP/1.1\r\n"
                        + "Host: internal:8080\r\n"
                        + "X-Forwarded-For: 6.6.6.6, 203.0.113.7\r\n"
                        + "X-Forwarded-Proto: https\r\n"
                        + "X-Forwarded-Host: www.example.com\r\n"
                        + "Forwarded: for=203.0.113.7;proto=https\r\n"
                        + "Via: 1.1 edge\r\n"
                        + "Connection: close\r\n\r\n");
                assertEquals(200, r.status(), () -> "log:\n" + proxy.log());
                Map<String, List<String>> got = backend.lastRequestHeaders();
                assertAll("at the backend: " + got,
                        () -> assertEquals(List.of("6.6.6.6, 203.0.113.7, 127.0.0.1"), got.get("X-Forwarded-For")),
                        // The right-most address that is not a trusted proxy: not the spoofable 6.6.6.6.
                        () -> assertEquals(List.of("203.0.113.7"), got.get("X-Real-IP")),
                        () -> assertEquals(List.of("https"), got.get("X-Forwarded-Proto")),
                        () -> assertEquals(List.of("www.example.com"), got.get("X-Forwarded-Host")),
                        () -> assertEquals(List.of("for=203.0.113.7;proto=https, for=127.0.0.1;proto=http;host=\"internal:8080\""),
                                got.get("Forwarded")),
                        () -> assertEquals(List.of("1.1 edge, 1.1 turnpike"), got.get("Via")));
            }
        }
    }

    /** @param yaml the header-injection config; {@code expected}: what stderr must say besides the file */
    record Refusal(String name, String yaml, List<String> expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> refusals() {
        List<Refusal> cases = List.of(
                new Refusal("invalid header name",
                        "request:\n  set: { 'X Bad': turnpike }\n",
                        List.of("plugins.chain[0].config.request.set.X Bad", "not a valid header name")),
                new Refusal("value with CR/LF",
                        "response:\n  set: { X-Evil: \"a\\r\\nSet-Cookie: session=stolen\" }\n",
                        List.of("plugins.chain[0].config.response.set.X-Evil", "CR", "split")),
                new Refusal("value with LF in an add list",
                        "request:\n  add: { X-Tag: [fine, \"not\\nfine\"] }\n",
                        List.of("plugins.chain[0].config.request.add.X-Tag[1]", "LF")),
                new Refusal("unknown variable",
                        "response:\n  set: { X-Backend: $upstream_addr }\n",
                        List.of("plugins.chain[0].config.response.set.X-Backend", "unknown variable $upstream_addr")),
                new Refusal("misspelt key",
                        "forwarding: { x_forwarded_fro: true }\n",
                        List.of("plugins.chain[0].config.forwarding.x_forwarded_fro", "unknown key")));
        List<Arguments> args = new ArrayList<>();
        for (Refusal c : cases) {
            args.add(Arguments.of(c, false));
            args.add(Arguments.of(c, true));
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0}, --check={1}")
    @MethodSource("refusals")
    @Timeout(60)
    void aBadHeaderConfigIsRefusedAtStart(Refusal c, boolean check) throws Exception {
        Path config = Proxy.writeConfig(dir, c.yaml(), "127.0.0.1:9", ProxyProcess.freePort());
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
        checks.add(() -> assertEquals(List.of(), run.tmpLeftovers(), () -> "nothing left in the temp dir; " + run));
        assertAll(c.name(), checks);
    }

    @Test
    @Timeout(60)
    void theShippedExampleIsAValidConfig() throws Exception {
        Path config = Proxy.writeConfig(dir, SHIPPED, "127.0.0.1:9", ProxyProcess.freePort());
        CliRun run = ProxyProcess.runCli(dir, EXIT_WITHIN, "--config", config.toString(), "--check");
        assertEquals(0, run.exitCode(), () -> "exit code; " + run);
        assertTrue(run.stdout().contains("header-injection"), () -> "stdout names the chain; " + run);
    }

    private static RawHttp.Response raw(Proxy proxy, String request) throws IOException {
        try (Socket socket = RawHttp.connect(proxy.port(), REQUEST_TIMEOUT)) {
            RawHttp.send(socket, request);
            return RawHttp.readResponse(new BufferedInputStream(socket.getInputStream()));
        }
    }

    /**
     * The packaged proxy with chain [header-injection (the given config), round-robin (one backend)],
     * launched like {@link ProxyProcess} launches it; {@link #close()} stops it and fails on a Netty
     * leak report in its log or files left in its temp directory.
     */
    static final class Proxy implements AutoCloseable {

        private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
        private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

        private final Process process;
        private final int port;
        private final Path log;
        private final Path tmp;

        private Proxy(Process process, int port, Path log, Path tmp) {
            this.process = process;
            this.port = port;
            this.log = log;
            this.tmp = tmp;
        }

        /**
         * Writes {@code proxy.yaml} and {@code plugins/} (both bundled jars) into {@code dir}.
         *
         * @param headerConfig the header-injection {@code config:} mapping as YAML (not indented)
         */
        static Path writeConfig(Path dir, String headerConfig, String backend, int port) throws IOException {
            Path plugins = Files.createDirectories(dir.resolve("plugins"));
            for (Path jar : List.of(ProxyProcess.roundRobinJar(), headerInjectionJar())) {
                Files.copy(jar, plugins.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            String indented = headerConfig.lines().map(l -> "        " + l).collect(Collectors.joining("\n"));
            String yaml = "server:\n"
                    + "  listen: " + ProxyProcess.quote("127.0.0.1:" + port) + "\n"
                    + "  workers: 1\n"
                    // A free port for the admin listener: its default (9091) may be taken.
                    + "metrics:\n"
                    + "  listen: '127.0.0.1:0'\n"
                    + "plugins:\n"
                    + "  dir: " + ProxyProcess.quote(plugins.toAbsolutePath().toString()) + "\n"
                    + "  chain:\n"
                    + "    - id: header-injection\n"
                    + "      config:\n"
                    + indented + "\n"
                    + "    - id: round-robin\n"
                    + "      config:\n"
                    + "        backends: [" + ProxyProcess.quote(backend) + "]\n";
            Path config = dir.resolve("proxy.yaml");
            Files.writeString(config, yaml);
            return config;
        }

        static Proxy start(Path dir, String headerConfig, String backend) throws IOException, InterruptedException {
            int port = ProxyProcess.freePort();
            Path config = writeConfig(dir, headerConfig, backend, port);
            Path log = dir.resolve("proxy.log");
            Path tmp = Files.createDirectories(dir.resolve("jvm-tmp"));
            Process process = new ProcessBuilder(ProxyProcess.javaBin(), ProxyProcess.HEAP, ProxyProcess.LEAK_LEVEL,
                    "-Djava.io.tmpdir=" + tmp, "-jar", ProxyProcess.turnpikeJar().toString(), "--config", config.toString())
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            Proxy proxy = new Proxy(process, port, log, tmp);
            try {
                proxy.awaitListening(config);
            } catch (Throwable t) {
                proxy.stop();
                throw t;
            }
            return proxy;
        }

        int port() {
            return port;
        }

        java.net.URI uri(String path) {
            return java.net.URI.create("http://127.0.0.1:" + port + path);
        }

        String log() {
            try {
                return Files.readString(log, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(cannot read " + log + ": " + e + ")";
            }
        }

        void assertAlive() {
            if (!process.isAlive()) {
                fail("the proxy exited with " + process.exitValue() + "; log:\n" + ProxyProcess.tail(log(), 12_000));
            }
        }

        private void awaitListening(Path config) throws InterruptedException {
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    String yaml;
                    try {
                        yaml = Files.readString(config);
                    } catch (IOException e) {
                        yaml = "(unreadable)";
                    }
                    fail("the proxy exited with " + process.exitValue() + " before listening; config:\n" + yaml
                            + "\nlog:\n" + ProxyProcess.tail(log(), 12_000));
                }
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    return;
                } catch (IOException notYet) {
                    Thread.sleep(50);
                }
            }
            fail("the proxy did not listen on " + port + " within " + START_TIMEOUT.toSeconds() + " s; log:\n"
                    + ProxyProcess.tail(log(), 12_000));
        }

        /** @return whether it exited on SIGTERM in time */
        private boolean stop() throws InterruptedException {
            if (!process.isAlive()) {
                return true;
            }
            process.destroy();
            if (process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                return true;
            }
            process.destroyForcibly();
            process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return false;
        }

        @Override
        public void close() {
            boolean graceful;
            try {
                graceful = stop();
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while stopping the proxy", e);
            }
            String text = log();
            int leak = text.indexOf(ProxyProcess.LEAK_MARKER);
            if (leak >= 0) {
                fail("Netty leak report in the proxy log:\n" + text.substring(leak, Math.min(text.length(), leak + 12_000)));
            }
            if (!graceful) {
                fail("the proxy did not exit within " + STOP_TIMEOUT.toSeconds() + " s of SIGTERM; log:\n"
                        + ProxyProcess.tail(text, 12_000));
            }
            List<Path> left = ProxyProcess.leftovers(tmp);
            if (!left.isEmpty()) {
                fail("the proxy left " + left + " in its temp directory");
            }
        }
    }

    /** The jar the header-injection module built: {@code <pluginsBuildDir>/header-injection/target/header-injection-*.jar}. */
    static Path headerInjectionJar() throws IOException {
        String p = System.getProperty("turnpike.pluginsBuildDir");
        assertNotNull(p, "system property turnpike.pluginsBuildDir is not set");
        Path target = Path.of(p, "header-injection", "target");
        List<Path> jars = new ArrayList<>();
        if (Files.isDirectory(target)) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(target, "header-injection-*.jar")) {
                for (Path j : s) {
                    String n = j.getFileName().toString();
                    if (!n.endsWith("-sources.jar") && !n.endsWith("-tests.jar") && !n.endsWith("-javadoc.jar")) {
                        jars.add(j);
                    }
                }
            }
        }
        if (jars.isEmpty()) {
            fail("no header-injection-*.jar in " + target + " (is the header-injection module packaged?)");
        }
        jars.sort(Comparator.comparing((Path j) -> j.toFile().lastModified()).reversed());
        return jars.get(0);
    }
}
