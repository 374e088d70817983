package dev.turnpike.runtime.it;

import static dev.turnpike.runtime.it.TlsItSupport.metric;
import static dev.turnpike.runtime.it.TlsItSupport.metricsPort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.plugins.tracing.otlp.OtlpReceiver;
import dev.turnpike.plugins.tracing.otlp.ReceivedSpan;
import dev.turnpike.testing.TestBackend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled tracing plugin in the packaged proxy (its shaded jar, loaded by PF4J like any other),
 * chain [tracing, load-balancer], exporting over OTLP/HTTP to an in-test collector
 * ({@link OtlpReceiver}, from the tracing module's test jar), in front of real backends.
 */
@Timeout(120)
class TracingIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @AfterEach
    void closeEverything() throws Exception {
        for (int i = closeAfter.size() - 1; i >= 0; i--) {
            closeAfter.get(i).close();
        }
    }

    @Test
    void aRequestWhoseFirstAttemptFailsToConnectShowsOneServerAndTwoClientSpansInOneTrace() throws Exception {
        OtlpReceiver collector = collector();
        TestBackend live = backend("live");
        int dead = deadPort();
        // The dead backend weighs most, so smooth round robin tries it first; the retry goes to the live one.
        ProxyProcess proxy = start(tracing(collector.endpoint()), "groups:\n"
                + "  main:\n"
                + "    backends:\n"
                + "      - { address: '127.0.0.1:" + dead + "', weight: 100 }\n"
                + "      - { address: '127.0.0.1:" + live.port() + "', weight: 1 }\n"
                + "    max_retries: 1\n"
                + "routes:\n"
                + "  - { path_prefix: /, group: main }\n");

        HttpResponse<String> response = get(proxy, "/orders/7");
        assertEquals(200, response.statusCode());
        assertEquals("live", response.body());

        List<ReceivedSpan> server = collector.await(1, s -> s.kind() == ReceivedSpan.SERVER, WAIT);
        assertEquals(1, server.size(), () -> "one SERVER span: " + collector.spans());
        ReceivedSpan root = server.get(0);
        List<ReceivedSpan> attempts = new ArrayList<>(collector.await(2,
                s -> s.kind() == ReceivedSpan.CLIENT && s.traceId().equals(root.traceId()), WAIT));
        attempts.sort(Comparator.comparing(s -> (Long) s.attribute("turnpike.attempt")));
        assertEquals(2, attempts.size(), () -> "two CLIENT spans: " + collector.spans());
        assertEquals(3, collector.spans().size(), () -> "nothing else: " + collector.spans());

        assertTrue(root.isRoot(), "no incoming context: a new trace");
        assertEquals("turnpike", root.serviceName());
        assertEquals("GET", root.name());
        assertEquals("/orders/7", root.attribute("url.path"));
        assertEquals(200L, root.attribute("http.response.status_code"));
        assertEquals(2L, root.attribute("turnpike.upstream.attempts"));
        assertEquals(ReceivedSpan.STATUS_UNSET, root.statusCode());

        ReceivedSpan first = attempts.get(0);
        ReceivedSpan second = attempts.get(1);
        for (ReceivedSpan attempt : attempts) {
            assertEquals(root.spanId(), attempt.parentSpanId(), "each attempt is the SERVER span's child: " + attempt);
        }
        assertEquals(1L, first.attribute("turnpike.attempt"));
        assertEquals((long) dead, first.attribute("server.port"));
        assertEquals("connect_refused", first.attribute("error.type"));
        assertEquals(ReceivedSpan.STATUS_ERROR, first.statusCode());
        assertEquals(2L, second.attribute("turnpike.attempt"));
        assertEquals(1L, second.attribute("http.request.resend_count"));
        assertEquals((long) live.port(), second.attribute("server.port"));
        assertEquals(200L, second.attribute("http.response.status_code"));
        assertEquals("127.0.0.1", second.attribute("network.peer.address"));

        String traceparent = header(live, "traceparent");
        assertEquals("00-" + root.traceId() + "-" + second.spanId(), traceparent.substring(0, 52),
                "the live backend got the second attempt's context: " + traceparent);
    }

    @Test
    void anIncomingTraceparentIsContinued() throws Exception {
        OtlpReceiver collector = collector();
        TestBackend live = backend("live");
        ProxyProcess proxy = start(tracing(collector.endpoint()), "backends: ['127.0.0.1:" + live.port() + "']\n");

        assertEquals(200, get(proxy, "/", "traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01",
                "tracestate", "congo=t61rcWkgMzE").statusCode());

        ReceivedSpan server = collector.await(1, s -> s.kind() == ReceivedSpan.SERVER, WAIT).get(0);
        ReceivedSpan attempt = collector.await(1, s -> s.kind() == ReceivedSpan.CLIENT, WAIT).get(0);
        assertEquals(CLIENT_TRACE, server.traceId());
        assertEquals(CLIENT_SPAN, server.parentSpanId());
        assertEquals("00-" + CLIENT_TRACE + "-" + attempt.spanId() + "-01", header(live, "traceparent"));
        assertEquals("congo=t61rcWkgMzE", header(live, "tracestate"));
    }

    @Test
    void withTrustIncomingOffAClientsTraceIsRestartedAndOnlyLinked() throws Exception {
        OtlpReceiver collector = collector();
        TestBackend live = backend("live");
        ProxyProcess proxy = start(tracing(collector.endpoint()) + "        trust_incoming: false\n",
                "backends: ['127.0.0.1:" + live.port() + "']\n");

        assertEquals(200, get(proxy, "/", "traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01",
                "tracestate", "congo=1").statusCode());

        ReceivedSpan server = collector.await(1, s -> s.kind() == ReceivedSpan.SERVER, WAIT).get(0);
        assertNotEquals(CLIENT_TRACE, server.traceId());
        assertTrue(server.isRoot());
        assertEquals(List.of(CLIENT_TRACE + "-" + CLIENT_SPAN), server.links());
        String sent = header(live, "traceparent");
        assertTrue(sent.startsWith("00-" + server.traceId() + "-"), sent);
        assertFalse(live.lastRequestHeaders().containsKey("tracestate"), "the client's tracestate stays out: " + sent);
    }

    @Test
    void withTheCollectorDownRequestsAreServedAndTheLostSpansCounted() throws Exception {
        TestBackend live = backend("live");
        int collectorPort = deadPort();
        ProxyProcess proxy = start(tracing("http://127.0.0.1:" + collectorPort + "/v1/traces") + "        timeout: 1s\n",
                "backends: ['127.0.0.1:" + live.port() + "']\n");

        for (int i = 0; i < 20; i++) {
            assertEquals(200, get(proxy, "/" + i).statusCode());
        }
        assertNotNull(header(live, "traceparent"));
        int metricsPort = metricsPort(proxy);
        long deadline = System.nanoTime() + WAIT.toNanos();
        double failed = 0;
        while (System.nanoTime() < deadline && (failed = metric(metricsPort, "turnpike_tracing_spans_exported_total{result=\"failed\"}")) < 40) {
            Thread.sleep(100);
        }
        assertEquals(40.0, failed, "every span of the 20 requests lost and counted");
        assertEquals(40.0, metric(metricsPort, "turnpike_tracing_spans_ended_total"));
        assertTrue(proxy.log().contains("tracing: could not export spans to http://127.0.0.1:" + collectorPort), proxy.log());
    }

    // ---- helpers ----

    private OtlpReceiver collector() throws IOException {
        OtlpReceiver r = OtlpReceiver.start();
        closeAfter.add(r);
        return r;
    }

    private TestBackend backend(String name) {
        TestBackend b = new TestBackend(name);
        b.start();
        closeAfter.add(b);
        return b;
    }

    /** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
    private static int deadPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The tracing chain entry's config keys, indented to go under {@code config:}; more may follow. */
    private static String tracing(String endpoint) {
        return "        endpoint: '" + endpoint + "'\n"
                + "        flush_interval: 100ms\n";
    }

    private ProxyProcess start(String tracingConfig, String lbConfig) throws IOException, InterruptedException {
        StringBuilder lb = new StringBuilder();
        for (String line : lbConfig.split("\n")) {
            lb.append("        ").append(line).append('\n');
        }
        ProxyProcess p = ProxyProcess.builder(Files.createTempDirectory(dir, "proxy"))
                .pluginJars(ProxyProcess.pluginJar("tracing"))
                .chainYaml("    - id: tracing\n      config:\n" + tracingConfig
                        + "    - id: load-balancer\n      config:\n" + lb)
                .start();
        closeAfter.add(p);
        return p;
    }

    private HttpResponse<String> get(ProxyProcess p, String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(p.uri(path)).timeout(Duration.ofSeconds(20));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), BodyHandlers.ofString());
    }

    private static String header(TestBackend backend, String name) {
        List<String> values = backend.lastRequestHeaders().get(name);
        assertNotNull(values, () -> "the backend got no " + name + ": " + backend.lastRequestHeaders());
        assertEquals(1, values.size(), () -> name + " sent once: " + values);
        return values.get(0);
    }
}
