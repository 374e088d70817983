package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.TestBackend;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keep-alive on both sides: sequential requests through a one-worker proxy reuse the pooled
 * upstream connection instead of opening one per request.
 */
class ReuseIT {

    private static final int REQUESTS = 200;

    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void sequentialKeepAliveRequestsReuseTheUpstreamConnection() throws Exception {
        try (TestBackend backend = new TestBackend("solo")) {
            backend.start();
            try (ProxyProcess proxy = ProxyProcess.builder(dir).workers(1).backends(backend).start()) {
                HttpClient client = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(5))
                        .build();
                for (int i = 0; i < REQUESTS; i++) {
                    int n = i;
                    HttpResponse<String> r = client.send(
                            HttpRequest.newBuilder(proxy.uri("/name?i=" + i)).timeout(Duration.ofSeconds(10)).build(),
                            BodyHandlers.ofString());
                    assertEquals(200, r.statusCode(), () -> "request " + n + "; log:\n" + proxy.log());
                    assertEquals("solo", r.body(), () -> "request " + n);
                }
                assertEquals(REQUESTS, backend.requestsServed(), "requests the backend received");
                int accepted = backend.connectionsAccepted();
                assertTrue(accepted <= 2, () -> REQUESTS + " sequential requests opened " + accepted
                        + " upstream connections (expected at most 2 with one worker)");
                proxy.assertAlive();
            }
        }
    }

    @Test
    @Timeout(60)
    void oneClientConnectionCarriesEveryRequest() throws Exception {
        try (TestBackend backend = new TestBackend("solo")) {
            backend.start();
            try (ProxyProcess proxy = ProxyProcess.builder(dir).workers(1).backends(backend).start();
                 Socket socket = RawHttp.connect(proxy.port(), Duration.ofSeconds(10))) {
                InputStream in = new BufferedInputStream(socket.getInputStream());
                for (int i = 0; i < REQUESTS; i++) {
                    int n = i;
                    RawHttp.send(socket, "GET /name?i=" + i + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
                    RawHttp.Response r = RawHttp.readResponse(in);
                    assertEquals(200, r.status(), () -> "request " + n + "; log:\n" + proxy.log());
                    assertEquals("solo", r.bodyText(), () -> "request " + n);
                }
                assertEquals(REQUESTS, backend.requestsServed(), "requests the backend received");
                int accepted = backend.connectionsAccepted();
                assertTrue(accepted <= 2, () -> REQUESTS + " requests on one client connection opened " + accepted
                        + " upstream connections");
            }
        }
    }
}
