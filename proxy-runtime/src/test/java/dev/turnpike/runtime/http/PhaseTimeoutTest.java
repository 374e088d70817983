package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.turnpike.api.BodyChunk;
import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.testing.TestBackend;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A stage that never completes cannot pin a request, its chain lease or (through the lease) a
 * retired generation of plugins: after {@code plugins.phase_timeout} the request fails with 500
 * naming the plugin and the phase, or is cut when its response had started, and lets go.
 */
class PhaseTimeoutTest {

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

    /** A request_filter (or any phase) that waits forever. */
    static final class Forever implements ProxyPlugin<Void> {
        @Override
        public Outcome requestFilter(Session session, Void ctx) {
            return session.request().path().startsWith("/hang") ? Outcome.later(new CompletableFuture<>()) : Outcome.proceed();
        }
    }

    /** The chain's leases once they are back: logging runs just before the lease is returned. */
    private static long drained(InJvmProxy proxy) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (proxy.chain().inFlight() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return proxy.chain().inFlight();
    }

    private static ListAppender<ILoggingEvent> captureErrors() {
        ListAppender<ILoggingEvent> a = new ListAppender<>();
        a.start();
        ((Logger) LoggerFactory.getLogger("dev.turnpike.runtime.errors")).addAppender(a);
        return a;
    }

    @Test
    void aStageThatNeverCompletesFailsWith500AndLetsGoOfTheChain() throws Exception {
        Witness w = new Witness();
        ListAppender<ILoggingEvent> log = captureErrors();
        try (InJvmProxy proxy = InJvmProxy.builder().phaseTimeout(Duration.ofMillis(300))
                .plugin("forever", new Forever()).plugin("witness", w).plugin("route", new Route(backend.port())).start()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(proxy.uri("/hang")).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(500, r.statusCode());
            Witness.Seen seen = w.next();
            assertEquals(ErrorKind.PLUGIN, seen.kind());
            assertTrue(seen.message().contains("forever") && seen.message().contains("request_filter")
                    && seen.message().contains("plugins.phase_timeout"), seen.message());
            assertEquals(0, drained(proxy), "the request let go of its chain lease");
            assertEquals(1.0, proxy.metric("turnpike_plugin_errors_total"));
            assertTrue(log.list.stream().anyMatch(e -> e.getLevel() == Level.ERROR
                    && e.getFormattedMessage().contains("forever") && e.getFormattedMessage().contains("request_filter")),
                    "the log names the plugin and the phase");
            assertEquals(200, http.send(HttpRequest.newBuilder(proxy.uri("/name")).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode(), "the proxy goes on serving");
        } finally {
            ((Logger) LoggerFactory.getLogger("dev.turnpike.runtime.errors")).detachAppender(log);
        }
    }

    @Test
    void aBodyFilterThatParksForeverMidResponseIsCut() throws Exception {
        ProxyPlugin<Void> stall = new ProxyPlugin<>() {
            @Override
            public Outcome responseBodyFilter(Session session, Void ctx, BodyChunk chunk) {
                return chunk.last() ? Outcome.later(new CompletableFuture<>()) : Outcome.proceed();
            }
        };
        Witness w = new Witness();
        try (InJvmProxy proxy = InJvmProxy.builder().phaseTimeout(Duration.ofMillis(300))
                .plugin("stall", stall).plugin("witness", w).plugin("route", new Route(backend.port())).start()) {
            assertThrows(IOException.class, () -> http.send(HttpRequest.newBuilder(proxy.uri("/bytes/100000"))
                    .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray()), "the body never completes");
            Witness.Seen seen = w.next();
            assertEquals(ErrorKind.PLUGIN, seen.kind());
            assertTrue(seen.message().contains("response_body_filter"), seen.message());
            assertEquals(200, seen.status(), "the head had gone out: the response is cut, not answered 500");
            assertEquals(0, drained(proxy));
        }
    }
}
