package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.TestBackend;
import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM with a slow request in flight: the request completes with 200, new connections are
 * refused from the signal on, and the process exits 0 within the grace period.
 */
class GracefulStopIT {

    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void sigtermLetsTheSlowRequestFinishRefusesNewConnectionsAndExitsZero() throws Exception {
        try (TestBackend backend = new TestBackend("slow")) {
            backend.start();
            ProxyProcess proxy = ProxyProcess.builder(dir).workers(1).backends(backend)
                    .serverYaml("  grace_period: 10s").start();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            CompletableFuture<HttpResponse<String>> slow = http.sendAsync(
                    HttpRequest.newBuilder(proxy.uri("/delay/1500")).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (backend.requestsServed() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(1, backend.requestsServed(), "the slow request reached the backend");

            long signalled = System.nanoTime();
            proxy.process().destroy(); // SIGTERM
            long refusedBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            boolean refused = false;
            while (!refused && System.nanoTime() < refusedBy) {
                try (Socket s = new Socket("127.0.0.1", proxy.port())) {
                    Thread.sleep(20); // still accepting for a moment: the signal is being handled
                } catch (IOException e) {
                    refused = true;
                }
            }
            assertTrue(refused, "new connections are refused once the signal is handled");

            HttpResponse<String> r = slow.get(15, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), "the request in flight completes");
            assertEquals("slow", r.body());
            assertTrue(proxy.process().waitFor(12, TimeUnit.SECONDS), "exits within the grace period");
            assertEquals(0, proxy.process().exitValue(), "a graceful stop exits 0; log:\n" + proxy.log());
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
            assertTrue(tookMs < 10_000, "well within the 10 s grace period: " + tookMs + " ms");
            assertTrue(proxy.log().contains("SIGTERM: stopping"), proxy.log());
            assertFalse(proxy.log().contains(ProxyProcess.LEAK_MARKER), proxy.log());
            assertThrows(IOException.class, () -> new Socket("127.0.0.1", proxy.port()).close());
        }
    }

    @Test
    @Timeout(60)
    void aSecondSignalExitsAtOnce() throws Exception {
        try (TestBackend backend = new TestBackend("slow")) {
            backend.start();
            ProxyProcess proxy = ProxyProcess.builder(dir).workers(1).backends(backend)
                    .serverYaml("  grace_period: 30s").start();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            CompletableFuture<HttpResponse<String>> slow = http.sendAsync(
                    HttpRequest.newBuilder(proxy.uri("/delay/20000")).timeout(Duration.ofSeconds(40)).build(),
                    HttpResponse.BodyHandlers.ofString());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (backend.requestsServed() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            proxy.process().destroy(); // SIGTERM: a graceful stop that would wait up to 30 s
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!proxy.log().contains("SIGTERM: stopping") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(proxy.log().contains("SIGTERM: stopping"), proxy.log());
            long second = System.nanoTime();
            proxy.process().destroy(); // the second SIGTERM
            assertTrue(proxy.process().waitFor(5, TimeUnit.SECONDS), "the second signal exits at once");
            assertEquals(1, proxy.process().exitValue(), "not a clean stop: exit 1");
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - second) < 5_000);
            assertTrue(proxy.log().contains("again: exiting now"), proxy.log());
            assertTrue(slow.handle((r, e) -> e != null || r.statusCode() != 200).get(10, TimeUnit.SECONDS),
                    "the slow request was cut, not answered");
        }
    }
}
