package com.example.routemetrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.testkit.phases.Exchange;
import dev.turnpike.testkit.phases.FakeMetrics;
import dev.turnpike.testkit.phases.FakePluginContext;
import dev.turnpike.testkit.phases.FakeSession;
import dev.turnpike.testkit.phases.PhaseHarness;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteMetricsTest {

    private static final String BUCKET = "route_request_duration_seconds_bucket";

    private static final Map<String, Object> CONFIG = Map.of(
            "routes", List.of(Map.of("name", "orders", "prefix", "/api/orders"), Map.of("name", "api", "prefix", "/api/")),
            "buckets", List.of("10ms", "50ms", "1s"));

    private final FakePluginContext context = new FakePluginContext(CONFIG);
    private final PhaseHarness<RouteMetrics.Timing> harness =
            PhaseHarness.start(new RouteMetrics(context.executor()::nanoTime), context);
    private final FakeMetrics metrics = harness.metrics();

    /** One request to {@code path} taking {@code took} between request_filter and logging, answered {@code status}. */
    private void request(String path, Duration took, int status) {
        Exchange<RouteMetrics.Timing> x = harness.exchange(FakeSession.get(path));
        x.requestFilter();
        harness.loop().advance(took);
        x.session().status(status);
        x.logging();
    }

    @Test
    void theMetricsAreRegisteredOnceAtStartWithTheirLabels() {
        assertEquals(List.of("route", "le"), metrics.registered(BUCKET).labelNames());
        assertEquals(List.of("route"), metrics.registered("route_request_duration_seconds_sum").labelNames());
        assertEquals(List.of("route", "code"), metrics.registered("route_responses_total").labelNames());
        assertEquals(FakeMetrics.Kind.GAUGE, metrics.registered("route_in_flight").kind());
    }

    @Test
    void everyRoutesSeriesIsExportedAtZeroBeforeAnyRequest() {
        for (String route : List.of("orders", "api", "other")) {
            for (String le : List.of("0.01", "0.05", "1", "+Inf")) {
                assertEquals(0.0, metrics.find(BUCKET, route, le), route + " le=" + le);
            }
            assertEquals(0.0, metrics.find("route_request_duration_seconds_count", route));
            assertEquals(0.0, metrics.find("route_responses_total", route, "5xx"));
        }
    }

    @Test
    void aRequestFallsIntoEveryBucketAboveItsDuration() {
        request("/api/orders/7", Duration.ofMillis(30), 201);

        assertEquals(0.0, metrics.value(BUCKET, "orders", "0.01"));
        assertEquals(1.0, metrics.value(BUCKET, "orders", "0.05"));
        assertEquals(1.0, metrics.value(BUCKET, "orders", "1"));
        assertEquals(1.0, metrics.value(BUCKET, "orders", "+Inf"));
        assertEquals(0.03, metrics.value("route_request_duration_seconds_sum", "orders"), 1e-12);
        assertEquals(1.0, metrics.value("route_request_duration_seconds_count", "orders"));
        assertEquals(1.0, metrics.value("route_responses_total", "orders", "2xx"));
    }

    @Test
    void routesMatchInConfigOrderAndTheRestIsTheDefault() {
        request("/api/orders", Duration.ofMillis(5), 200);
        request("/api/users", Duration.ofMillis(5), 404);
        request("/index.html", Duration.ofSeconds(3), 502);
        request("/api/users", Duration.ZERO, 0);

        assertEquals(1.0, metrics.value("route_request_duration_seconds_count", "orders"));
        assertEquals(2.0, metrics.value("route_request_duration_seconds_count", "api"));
        assertEquals(1.0, metrics.value("route_responses_total", "api", "4xx"));
        assertEquals(1.0, metrics.value("route_responses_total", "api", "none"));
        assertEquals(1.0, metrics.value("route_responses_total", "other", "5xx"));
        assertEquals(0.0, metrics.value(BUCKET, "other", "1"));
        assertEquals(1.0, metrics.value(BUCKET, "other", "+Inf"));
    }

    @Test
    void inFlightCountsFromRequestFilterToLogging() {
        Exchange<RouteMetrics.Timing> x = harness.exchange(FakeSession.get("/api/x"));
        x.requestFilter();
        assertEquals(1.0, metrics.value("route_in_flight", "api"));
        x.logging();
        assertEquals(0.0, metrics.value("route_in_flight", "api"));
    }

    @Test
    void aRequestAnsweredBeforeThisPluginIsTimedFromItsHead() {
        Exchange<RouteMetrics.Timing> x = harness.exchange(FakeSession.get("/api/orders"));
        harness.loop().advance(Duration.ofMillis(40)); // an earlier plugin's answer took this long
        x.session().status(429);
        x.logging(); // request_filter never ran for this plugin

        assertEquals(1.0, metrics.value(BUCKET, "orders", "0.05"));
        assertEquals(0.0, metrics.value(BUCKET, "orders", "0.01"));
        assertEquals(1.0, metrics.value("route_responses_total", "orders", "4xx"));
        assertEquals(null, metrics.find("route_in_flight", "orders"));
    }

    @Test
    void countsCarryToTheInstanceAfterAReload() {
        request("/api/x", Duration.ofMillis(1), 200);
        FakePluginContext next = context.next(CONFIG);
        PhaseHarness<RouteMetrics.Timing> reloaded = PhaseHarness.start(new RouteMetrics(next.executor()::nanoTime), next);
        Exchange<RouteMetrics.Timing> x = reloaded.exchange(FakeSession.get("/api/y"));
        x.requestFilter();
        x.logging();
        assertEquals(2.0, reloaded.metrics().value("route_request_duration_seconds_count", "api"));
    }

    @Test
    void badConfigIsRefusedWithKeyAndReason() {
        assertEquals("plugins.chain[0].config.buckets: must be more than 0 and strictly increasing: [1s, 500ms]",
                refused(Map.of("buckets", List.of("1s", "500ms"))).getMessage());
        assertEquals("plugins.chain[0].config.buckets[0]: expected a duration such as 250ms, 5s or 2m, got 'soon'",
                refused(Map.of("buckets", List.of("soon"))).getMessage());
        assertEquals("plugins.chain[0].config.routes[1].name: 'a' is used twice (default_route included)",
                refused(Map.of("routes", List.of(Map.of("name", "a", "prefix", "/a"), Map.of("name", "a", "prefix", "/b"))))
                        .getMessage());
        assertEquals("plugins.chain[0].config.routes[0].prefix: 'api' is not a path (it starts with /)",
                refused(Map.of("routes", List.of(Map.of("name", "a", "prefix", "api")))).getMessage());
        assertEquals("plugins.chain[0].config.routes[0].name: 'Orders API' is not a route name (1 to 64 of a-z, 0-9, _ and -)",
                refused(Map.of("routes", List.of(Map.of("name", "Orders API", "prefix", "/")))).getMessage());
        assertEquals("plugins.chain[0].config.routes[0].methods: unknown key methods",
                refused(Map.of("routes", List.of(Map.of("name", "a", "prefix", "/", "methods", "GET")))).getMessage());
    }

    @Test
    void aRefusedConfigExportsNothing() {
        FakePluginContext refusedContext = new FakePluginContext(Map.of("routes",
                List.of(Map.of("name", "a", "prefix", "/a"), Map.of("name", "b", "prefix", "b"))));
        assertThrows(InvalidConfigException.class, () -> PhaseHarness.start(new RouteMetrics(), refusedContext));
        assertEquals(java.util.Set.of(), refusedContext.metrics().names());
    }

    private static InvalidConfigException refused(Map<String, ?> config) {
        return assertThrows(InvalidConfigException.class, () -> PhaseHarness.start(new RouteMetrics(), config));
    }
}
