package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bundled header-injection plugin in the packaged proxy: chain [header-injection, load-balancer]
 * in front of real backends, driven by real clients.
 *
 * <p>{@link #headerInjection} configures a {@link ProxyProcess} with that chain.
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
            try (ProxyProcess proxy = headerInjection(config, "127.0.0.1:" + backend.port()).start()) {
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
        try (ProxyProcess proxy = headerInjection(SHIPPED, "127.0.0.1:" + backend.getAddress().getPort()).start()) {
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
            try (ProxyProcess proxy = headerInjection(config, "127.0.0.1:" + backend.port()).start()) {
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
            try (ProxyProcess proxy = headerInjection(config, "127.0.0.1:" + backend.port()).start()) {
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
        Path config = headerInjection(c.yaml(), "127.0.0.1:9").writeConfig();
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
        Path config = headerInjection(SHIPPED, "127.0.0.1:9").writeConfig();
        CliRun run = ProxyProcess.runCli(dir, EXIT_WITHIN, "--config", config.toString(), "--check");
        assertEquals(0, run.exitCode(), () -> "exit code; " + run);
        assertTrue(run.stdout().contains("header-injection"), () -> "stdout names the chain; " + run);
    }

    private static RawHttp.Response raw(ProxyProcess proxy, String request) throws IOException {
        try (Socket socket = RawHttp.connect(proxy.port(), REQUEST_TIMEOUT)) {
            RawHttp.send(socket, request);
            return RawHttp.readResponse(new BufferedInputStream(socket.getInputStream()));
        }
    }

    /**
     * The packaged proxy with the chain [header-injection (the given config), load-balancer (one
     * backend)], files in {@link #dir}; {@link ProxyProcess#close()} fails on a Netty leak report in
     * its log, an ungraceful exit or files left in its temp directory.
     *
     * @param headerConfig the header-injection {@code config:} mapping as YAML (not indented)
     * @param backend {@code host:port}
     */
    private ProxyProcess.Builder headerInjection(String headerConfig, String backend) throws IOException {
        String indented = headerConfig.lines().map(l -> "        " + l).collect(Collectors.joining("\n"));
        return ProxyProcess.builder(dir)
                .pluginJars(ProxyProcess.headerInjectionJar())
                .chainYaml("    - id: header-injection\n"
                        + "      config:\n"
                        + indented + "\n"
                        + ProxyProcess.chainEntries(List.of(backend)));
    }
}
