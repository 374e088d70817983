package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.runtime.ProxyVersion;
import dev.turnpike.testing.TestBackend;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin listener of a real Turnpike with the load-balancer jar: what a scrape holds at start and
 * after traffic, the paths it answers, and the series of a backend a reload removed.
 */
class MetricsEndpointTest {

    @TempDir
    Path dir;

    private static HttpResponse<String> adminRaw(ReloadHarness h, String method, String path) throws Exception {
        return h.client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.proxy.metricsPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String chain(ReloadHarness h, TestBackend... backends) {
        StringBuilder list = new StringBuilder();
        for (TestBackend b : backends) {
            list.append(list.length() == 0 ? "" : ", ").append("'127.0.0.1:").append(b.port()).append('\'');
        }
        return "    - id: load-balancer\n      config: { backends: [" + list + "] }\n";
    }

    @Test
    @Timeout(60)
    void aScrapeAtStartIsSmallAndHasNoCreatedOrUnusedSeries() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            h.start(h.yaml(h.loadBalancerEntry()));
            String m = h.admin("/metrics");
            int bytes = m.getBytes(StandardCharsets.UTF_8).length;
            System.out.println("[metrics] scrape at start: " + bytes + " bytes, "
                    + m.lines().filter(l -> !l.startsWith("#")).count() + " series");
            assertTrue(bytes < 30 * 1024, "scrape at start is " + bytes + " bytes");
            assertFalse(m.contains("_created"), "no _created series");
            assertFalse(m.contains("turnpike_request_duration_seconds_bucket"), "no request histogram before a request");
            assertTrue(m.contains("turnpike_build_info{version=\"" + ProxyVersion.CURRENT + "\",api_version=\""), m);
            assertTrue(m.contains("\nturnpike_config_generation 1.0\n"), m);

            assertEquals(200, h.get("/name").statusCode());
            String after = h.admin("/metrics");
            assertTrue(after.contains("turnpike_request_duration_seconds_bucket{method=\"GET\",status_class=\"2xx\","), after);
            assertFalse(after.contains("status_class=\"5xx\""), "only the children used exist: " + after);
        }
    }

    @Test
    @Timeout(60)
    void unknownAdminPathsAre404AndOnlyGetIsServed() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir)) {
            h.start(h.yaml(h.loadBalancerEntry()));
            assertEquals(404, adminRaw(h, "GET", "/").statusCode());
            assertEquals(404, adminRaw(h, "GET", "/nope").statusCode());
            assertEquals(404, adminRaw(h, "GET", "/metricsfoo").statusCode());
            assertEquals(405, adminRaw(h, "POST", "/metrics").statusCode());
            assertEquals(200, adminRaw(h, "GET", "/plugins").statusCode());
            assertEquals(200, adminRaw(h, "GET", "/metrics").statusCode());
            HttpResponse<byte[]> zipped = h.client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                            + h.proxy.metricsPort() + "/metrics")).header("Accept-Encoding", "gzip").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals("gzip", zipped.headers().firstValue("Content-Encoding").orElse(null));
            String text = new String(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(zipped.body()))
                    .readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(text.contains("turnpike_build_info"), text);
        }
    }

    @Test
    @Timeout(60)
    void aBackendTheConfigurationDropsLosesItsSeriesOnceTheNewGenerationIsInForce() throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir); TestBackend second = new TestBackend("b2")) {
            second.start();
            h.start(h.yaml(chain(h, h.backend, second)));
            for (int i = 0; i < 4; i++) {
                assertEquals(200, h.get("/name").statusCode());
            }
            String kept = "127.0.0.1:" + h.backend.port();
            String dropped = "127.0.0.1:" + second.port();
            String before = h.admin("/metrics");
            for (String b : new String[] {kept, dropped}) {
                assertTrue(before.contains("turnpike_upstream_requests_total{backend=\"" + b + "\""), before);
                assertTrue(before.contains("turnpike_upstream_responses_total{backend=\"" + b + "\",status_class=\"2xx\""), before);
                assertTrue(before.contains("turnpike_lb_backend_up{group=\"default\",backend=\"" + b + "\""), before);
            }
            long gen = h.proxy.reloader().generation();
            h.editConfig(h.yaml(chain(h, h.backend)));
            ReloadHarness.await("generation " + (gen + 1), Duration.ofSeconds(20), () -> h.proxy.reloader().generation() > gen);
            ReloadHarness.await("the dropped backend's series to go", Duration.ofSeconds(20), () -> {
                try {
                    return !h.admin("/metrics").contains(dropped);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            String after = h.admin("/metrics");
            assertTrue(after.contains("turnpike_upstream_requests_total{backend=\"" + kept + "\""), after);
            assertTrue(after.contains("turnpike_lb_backend_up{group=\"default\",backend=\"" + kept + "\""), after);
            assertTrue(after.contains("\nturnpike_config_generation 2.0\n"), after);
            assertEquals(200, h.get("/name").statusCode());
            assertFalse(h.admin("/metrics").contains(dropped), "traffic after the reload goes to the kept backend only");
        }
    }
}
