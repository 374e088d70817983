package com.example.jsonerrors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Response;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.testkit.phases.Exchange;
import dev.turnpike.testkit.phases.FakeSession;
import dev.turnpike.testkit.phases.PhaseHarness;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonErrorsTest {

    private final PhaseHarness<Void> simple = PhaseHarness.start(new JsonErrors(), Map.of("path_prefixes", List.of("/api/")));

    @Test
    void noBackendChosenIsAJson502WithOneContentType() {
        // The plugin chooses no peer, so the path fails with no_peer and fail_to_proxy runs.
        Exchange<Void> x = simple.run(FakeSession.get("/api/orders").requestId("r-42"));

        Response page = x.response();
        assertEquals(502, page.status());
        assertEquals(502, x.session().status());
        assertEquals(List.of("application/json; charset=utf-8"), x.session().response().headers().getAll("Content-Type"));
        assertEquals("no-store", x.session().response().headers().get("Cache-Control"));
        assertEquals("{\"status\":502,\"error\":\"no_peer\",\"message\":\"The service is unavailable.\",\"request_id\":\"r-42\"}\n",
                body(page));
    }

    @Test
    void theProxysOwnWordsAboutTheBackendNeverReachTheClient() {
        Exchange<Void> x = simple.exchange(FakeSession.get("/api/orders").requestId("r-1"));
        Response page = x.failToProxy(ProxyError.of(ErrorKind.UPSTREAM_TIMEOUT,
                "backend 10.0.0.7:8080 sent nothing for 30000 ms", new java.net.SocketTimeoutException()));

        assertEquals(504, page.status());
        assertEquals("{\"status\":504,\"error\":\"upstream_timeout\",\"message\":\"The service took too long to answer.\","
                + "\"request_id\":\"r-1\"}\n", body(page));
        assertFalse(body(page).contains("10.0.0.7"));
    }

    @Test
    void aPluginFailureIs500WithoutItsException() {
        Exchange<Void> x = simple.exchange(FakeSession.get("/api/x").requestId("r-2"));
        Response page = x.failToProxy(ProxyError.plugin("rate-limit", "request_filter", "NullPointerException at Bucket.take",
                new NullPointerException()));

        assertEquals(500, page.status());
        assertEquals("{\"status\":500,\"error\":\"plugin\",\"message\":\"The request failed inside the proxy.\","
                + "\"request_id\":\"r-2\"}\n", body(page));
    }

    @Test
    void otherPathsAreLeftToTheRuntime() {
        Exchange<Void> x = simple.exchange(FakeSession.get("/index.html"));
        assertNull(x.failToProxy(ProxyError.of(ErrorKind.CONNECT_REFUSED, "refused", null)));
        assertEquals(502, x.session().status());
    }

    @Test
    void problemDetailsCarryTheRuntimesStatusAndAnEscapedRequestId() {
        PhaseHarness<Void> problem = PhaseHarness.start(new JsonErrors(),
                Map.of("format", "problem", "messages", Map.of("bad_request", "Headers too large.")));
        Exchange<Void> x = problem.exchange(FakeSession.get("/").requestId("a\"b\\c"));
        Response page = x.failToProxy(ProxyError.of(ErrorKind.BAD_REQUEST, "head of 70000 bytes", null).withStatus(431));

        assertEquals(431, page.status());
        assertEquals(List.of("application/problem+json; charset=utf-8"), x.session().response().headers().getAll("Content-Type"));
        assertEquals("{\"type\":\"urn:turnpike:error:bad_request\",\"title\":\"Request Header Fields Too Large\","
                + "\"status\":431,\"detail\":\"Headers too large.\",\"request_id\":\"a\\\"b\\\\c\"}\n", body(page));
    }

    @Test
    void badConfigIsRefusedWithKeyAndReason() {
        assertEquals("plugins.chain[0].config.format: 'xml' is not one of simple, problem",
                refused(Map.of("format", "xml")).getMessage());
        assertEquals("plugins.chain[0].config.path_prefixes: 'api' is not a path (it starts with /)",
                refused(Map.of("path_prefixes", List.of("api"))).getMessage());
        assertEquals("plugins.chain[0].config.messages.timeout: not an error kind (one of client_abort, client_timeout, "
                + "bad_request, no_peer, connect_refused, connect_timeout, unresolvable, tls, upstream_reset, "
                + "upstream_timeout, invalid_response, plugin, internal)",
                refused(Map.of("messages", Map.of("timeout", "slow"))).getMessage());
        assertEquals("plugins.chain[0].config.fromat: unknown key fromat (did you mean format?)", refused(Map.of("fromat", "simple")).getMessage());
    }

    private static InvalidConfigException refused(Map<String, ?> config) {
        return assertThrows(InvalidConfigException.class, () -> PhaseHarness.start(new JsonErrors(), config));
    }

    private static String body(Response r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }
}
