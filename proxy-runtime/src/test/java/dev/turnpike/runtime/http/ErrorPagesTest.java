package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamConnection;
import dev.turnpike.testing.TestBackend;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The error model as plugins meet it: fail_to_proxy writes the error page (and sees the kind),
 * a failing fail_to_proxy falls back to the runtime's answer, a plugin's failures are 500s named
 * in the error kind, and connected_to_upstream observes each attempt's connection.
 */
class ErrorPagesTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    static TestBackend backend;
    static HttpClient http;

    @BeforeAll
    static void start() {
        backend = new TestBackend("b");
        backend.start();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static HttpResponse<String> get(InJvmProxy proxy, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(proxy.uri(path)).timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Answers every error as JSON, with the status the runtime chose. */
    static final class JsonErrors implements ProxyPlugin<Void> {
        final List<ErrorKind> seen = new CopyOnWriteArrayList<>();

        @Override
        public Response failToProxy(Session session, Void ctx, ProxyError error) {
            seen.add(error.kind());
            return Response.status(error.status()).header("Content-Type", "application/json")
                    .body("{\"error\":\"" + error.kind().label() + "\"}").build();
        }
    }

    @Test
    void failToProxyWritesTheErrorPage() throws Exception {
        JsonErrors json = new JsonErrors();
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("json", json).plugin("route", new Route(closedPort())).start()) {
            HttpResponse<String> r = get(proxy, "/x");
            assertEquals(502, r.statusCode());
            assertEquals("application/json", r.headers().firstValue("content-type").orElse(null));
            assertEquals("{\"error\":\"connect_refused\"}", r.body());
            assertEquals(List.of(ErrorKind.CONNECT_REFUSED), json.seen);
        }
    }

    @Test
    void failToProxySeesAPluginsFailureToo() throws Exception {
        JsonErrors json = new JsonErrors();
        ProxyPlugin<Void> boom = new ProxyPlugin<>() {
            @Override
            public Outcome requestFilter(Session session, Void ctx) {
                throw new IllegalStateException("boom");
            }
        };
        Witness w = new Witness();
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("json", json).plugin("boom", boom).plugin("witness", w)
                .plugin("route", new Route(backend.port())).start()) {
            HttpResponse<String> r = get(proxy, "/x");
            assertEquals(500, r.statusCode());
            assertEquals("{\"error\":\"plugin\"}", r.body());
            Witness.Seen seen = w.next();
            assertEquals(ErrorKind.PLUGIN, seen.kind());
            assertTrue(seen.message().contains("boom") && seen.message().contains("request_filter"), seen.message());
            assertEquals(1.0, proxy.metric("turnpike_plugin_errors_total"));
        }
    }

    @Test
    void aFailingFailToProxyLeavesTheRuntimesOwnAnswer() throws Exception {
        ProxyPlugin<Void> broken = new ProxyPlugin<>() {
            @Override
            public Response failToProxy(Session session, Void ctx, ProxyError error) {
                throw new IllegalStateException("the error page itself failed");
            }
        };
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("broken", broken).plugin("route", new Route(closedPort())).start()) {
            HttpResponse<String> r = get(proxy, "/x");
            assertEquals(502, r.statusCode());
            assertTrue(r.body().startsWith("502 Bad Gateway"), r.body());
            assertEquals(1.0, proxy.metric("turnpike_plugin_errors_total"), "the failure is counted");
        }
    }

    @Test
    void theClientsErrorPageNamesNoBackend() throws Exception {
        int port = closedPort();
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("route", new Route(port)).start()) {
            HttpResponse<String> r = get(proxy, "/x");
            assertEquals(502, r.statusCode());
            assertTrue(!r.body().contains(Integer.toString(port)), "the backend's address stays in the log: " + r.body());
            assertEquals(1.0, proxy.metric("turnpike_request_errors_total"));
        }
    }

    @Test
    void connectedToUpstreamSeesANewConnectionThenAReusedOne() throws Exception {
        List<UpstreamConnection> seen = new CopyOnWriteArrayList<>();
        ProxyPlugin<Void> observer = new ProxyPlugin<>() {
            @Override
            public void connectedToUpstream(Session session, Void ctx, UpstreamConnection connection) {
                seen.add(connection);
            }
        };
        try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("observer", observer)
                .plugin("route", new Route(backend.port())).start()) {
            assertEquals(200, get(proxy, "/name").statusCode());
            assertEquals(200, get(proxy, "/name").statusCode());
            assertEquals(2, seen.size());
            assertEquals(false, seen.get(0).reused());
            assertEquals(backend.port(), seen.get(0).remoteAddress().getPort());
            assertEquals(true, seen.get(1).reused(), "the second request went on the pooled connection");
            assertEquals(Duration.ZERO, seen.get(1).connectTime());
            assertEquals(seen.get(0).localAddress(), seen.get(1).localAddress(), "the same connection");
        }
    }

    @Test
    void aThrowingConnectedToUpstreamFailsItsRequestOnly() throws Exception {
        ProxyPlugin<Void> observer = new ProxyPlugin<>() {
            @Override
            public void connectedToUpstream(Session session, Void ctx, UpstreamConnection connection) {
                if (session.request().path().equals("/boom")) {
                    throw new IllegalStateException("boom");
                }
            }
        };
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("observer", observer).plugin("route", new Route(backend.port())).start()) {
            assertEquals(500, get(proxy, "/boom").statusCode());
            assertEquals(200, get(proxy, "/name").statusCode());
        }
    }
}
