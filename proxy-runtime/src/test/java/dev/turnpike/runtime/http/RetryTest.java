package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.ErrorKind;
import dev.turnpike.runtime.http.Failover.Call;
import dev.turnpike.runtime.http.Failover.Logged;
import dev.turnpike.runtime.http.RetryRawBackend.Mode;
import dev.turnpike.testing.DeterministicBytes;
import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.TestBackend;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Retries after upstream failures, in-JVM against real sockets: which failures the hooks hear of,
 * which ones are retried (connect failures always; resets, timeouts and garbage only for idempotent,
 * replayable requests), that a replayed body arrives whole, that upstream_request_filter is not
 * applied twice, that a throwing hook fails only its request, and that the attempt cap holds.
 * Timeouts here only keep a broken build from hanging; nothing asserts on time.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RetryTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final long SEED = 0x5265747279L; // "Retry"

    static TestBackend good;
    static HttpClient http;

    @BeforeAll
    static void start() {
        good = new TestBackend("good");
        good.start();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
    }

    @AfterAll
    static void stop() {
        good.close();
    }

    // ------------------------------------------------------------------ helpers

    /** A port of 127.0.0.1 that nothing listens on (bound once, then released). */
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static HttpResponse<String> get(InJvmProxy proxy, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(proxy.uri(path)).timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> send(InJvmProxy proxy, String method, String path, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(proxy.uri(path)).timeout(TIMEOUT)
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String uploadJson(long n) {
        return "{\"bytes\":" + n + ",\"sha256\":\"" + DeterministicBytes.sha256Hex(SEED, n) + "\"}";
    }

    /**
     * Sends a request with a Content-Length body of {@code n} deterministic bytes over a raw socket,
     * the body from another thread (the proxy may answer and close before it has read it all: a
     * failed write is expected then), and reads the one response.
     */
    static RawHttp.Response sendRaw(InJvmProxy proxy, String method, String path, long n) throws Exception {
        try (Socket socket = RawHttp.connect(proxy.port(), TIMEOUT)) {
            OutputStream out = socket.getOutputStream();
            out.write((method + " " + path + " HTTP/1.1\r\nHost: retry.test\r\nContent-Length: " + n + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    DeterministicBytes.stream(SEED, n).transferTo(out);
                    out.flush();
                } catch (IOException e) {
                    // the proxy closed on the rest of the body after answering
                }
            });
            try {
                return RawHttp.readResponse(new BufferedInputStream(socket.getInputStream()));
            } finally {
                writer.cancel(true);
            }
        }
    }

    static List<Call> hookCalls(Failover f) {
        return new ArrayList<>(f.calls);
    }

    // ------------------------------------------------------------------ connect failures

    @Test
    void aRefusedConnectionIsRetriedOnTheNextPeer() throws Exception {
        int closed = closedPort();
        Failover f = new Failover(closed, good.port());
        try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("failover", f).start()) {
            HttpResponse<String> r = get(proxy, "/name");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("good", r.body());

            Logged l = f.awaitLogged(TIMEOUT);
            assertEquals(List.of(new Call("fail_to_connect", ErrorKind.CONNECT_REFUSED, 1, true, null, closed, "/name")), l.calls());
            assertEquals(2, l.attempts(), "upstreamAttempts counts the failed attempt and the retry");
            assertEquals(200, l.upstreamStatus());
            assertEquals(200, l.status());
            assertNull(l.error(), "a retried failure is not the request's error");
            assertEquals(List.of(0, closed), l.peerSeenByUpstreamPeer(),
                    "upstream_peer runs again and sees the failed peer in session.peer()");
        }
    }

    @Test
    void aPostWhoseConnectionIsRefusedIsRetriedWithItsWholeBody() throws Exception {
        int n = 1024 * 1024; // far past retry_body_limit: a connect failure sent nothing, so that does not matter
        int closed = closedPort();
        Failover f = new Failover(closed, good.port());
        try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("failover", f).start()) {
            HttpResponse<String> r = send(proxy, "POST", "/upload", DeterministicBytes.bytes(SEED, n));
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(uploadJson(n), r.body());

            Logged l = f.awaitLogged(TIMEOUT);
            assertEquals(1, l.calls().size(), l.calls().toString());
            Call c = l.calls().get(0);
            assertEquals(ErrorKind.CONNECT_REFUSED, c.kind());
            assertTrue(c.retryable(), "a connect failure is retryable whatever the method: " + c);
            assertEquals(2, l.attempts());
            assertEquals(n, l.requestBodyBytes(), "the client's body is counted once");
        }
    }

    @Test
    void withoutAnyFailureHookNothingIsRetried() throws Exception {
        int closed = closedPort();
        int before = good.requestsServed();
        try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("route", new Route(closed, good.port())).start()) {
            assertEquals(502, get(proxy, "/name").statusCode(), "no hook, no retry: the refused attempt stands");
        }
        assertEquals(before, good.requestsServed());
    }

    @Test
    void everyPluginWithAHookIsCalledAndOneAskingIsEnough() throws Exception {
        int closed = closedPort();
        Failover observer = new Failover().answering(false); // chooses nothing, never asks for a retry
        Failover balancer = new Failover(closed, good.port());
        try (InJvmProxy proxy = InJvmProxy.builder().workers(1)
                .plugin("observer", observer).plugin("balancer", balancer).start()) {
            HttpResponse<String> r = get(proxy, "/name");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("good", r.body());
            balancer.awaitLogged(TIMEOUT);
            Logged seen = observer.awaitLogged(TIMEOUT);
            assertEquals(List.of(new Call("fail_to_connect", ErrorKind.CONNECT_REFUSED, 1, true, null, closed, "/name")), seen.calls(),
                    "a plugin that does not want a retry still hears of the failure");
            assertEquals(hookCalls(observer), hookCalls(balancer));
        }
    }

    // ------------------------------------------------------------------ review findings

    @Test
    void aFailureAfterTheResponseHeadIsReportedButNeverRetried() throws Exception {
        try (RetryRawBackend breaking = new RetryRawBackend(Mode.HEAD_THEN_RESET)) {
            Failover f = new Failover(breaking.port(), good.port());
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("failover", f).start()) {
                try {
                    get(proxy, "/name");
                } catch (java.io.IOException expected) {
                    // the response was cut short: all the client can learn
                }
                Logged l = f.awaitLogged(TIMEOUT);
                assertEquals(1, l.calls().size(), "passive health hears of it: " + l.calls());
                Call c = l.calls().get(0);
                assertEquals("error_while_proxying", c.hook());
                assertEquals(ErrorKind.UPSTREAM_RESET, c.kind());
                assertFalse(c.retryable(), "the response had started");
                assertEquals(1, l.attempts(), "and nothing was retried");
                assertEquals(200, l.upstreamStatus());
            }
        }
    }

    @Test
    void anHttp10RequestWithoutHostNamesTheRetryPeerInItsHost() throws Exception {
        // The first attempt must reach its backend (a reset, not a refused connect): by then the proxy
        // has written a Host naming it. With no upstream_request_filter in the chain no head is
        // remembered to restore, and that Host must still be renamed for the retry's backend.
        try (RetryRawBackend resetting = new RetryRawBackend(Mode.RESET)) {
            int closed = resetting.port();
            ProxyPlugin<int[]> firstBrokenThenGood = new ProxyPlugin<>() {
                @Override
                public int[] newContext(dev.turnpike.api.Session session) {
                    return new int[1];
                }

                @Override
                public dev.turnpike.api.Outcome upstreamPeer(dev.turnpike.api.Session session, int[] tries) {
                    int port = tries[0]++ == 0 ? closed : good.port();
                    return dev.turnpike.api.Outcome.upstream(dev.turnpike.api.Peer.of("127.0.0.1", port));
                }

                @Override
                public boolean errorWhileProxying(dev.turnpike.api.Session session, int[] tries,
                                                  dev.turnpike.api.UpstreamFailure failure) {
                    return true;
                }
            };
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("retry", firstBrokenThenGood).start()) {
                RawHttp.Exchange ex = RawHttp.exchange(proxy.port(), "GET /echo HTTP/1.0\r\n\r\n", TIMEOUT);
                String text = ex.text();
                assertTrue(text.startsWith("HTTP/1.1 200"), text);
                String echoed = text.substring(text.indexOf("\r\n\r\n")).toLowerCase(java.util.Locale.ROOT);
                assertTrue(echoed.contains("host: 127.0.0.1:" + good.port()), "the Host follows the retry: " + text);
                assertFalse(echoed.contains("host: 127.0.0.1:" + closed), text);
                assertEquals(1, resetting.heads(), "the first attempt did reach the resetting backend");
            }
        }
    }

    @Test
    void aStageThatResumesAfterTheRequestWasAnsweredCallsNoLaterPlugin() throws Exception {
        java.util.concurrent.CompletableFuture<dev.turnpike.api.Outcome> pending = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.atomic.AtomicInteger laterCalls = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch parked = new java.util.concurrent.CountDownLatch(1);
        ProxyPlugin<Void> slow = new ProxyPlugin<>() {
            @Override
            public dev.turnpike.api.Outcome upstreamPeer(dev.turnpike.api.Session session, Void ctx) {
                parked.countDown();
                return dev.turnpike.api.Outcome.later(pending);
            }
        };
        ProxyPlugin<Void> later = new ProxyPlugin<>() {
            @Override
            public dev.turnpike.api.Outcome upstreamPeer(dev.turnpike.api.Session session, Void ctx) {
                laterCalls.incrementAndGet();
                return dev.turnpike.api.Outcome.upstream(dev.turnpike.api.Peer.of("127.0.0.1", good.port()));
            }
        };
        try (InJvmProxy proxy = InJvmProxy.builder().workers(1).maxBodyBytes(1000)
                .plugin("slow", slow).plugin("later", later).start();
             java.net.Socket socket = RawHttp.connect(proxy.port(), TIMEOUT)) {
            RawHttp.send(socket, "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
            assertTrue(parked.await(10, java.util.concurrent.TimeUnit.SECONDS));
            RawHttp.send(socket, "7d0\r\n" + "x".repeat(2000) + "\r\n0\r\n\r\n"); // past max_body_size while parked
            RawHttp.Response r = RawHttp.readResponse(new java.io.BufferedInputStream(socket.getInputStream()));
            assertEquals(413, r.status());
            pending.complete(dev.turnpike.api.Outcome.proceed());
            // The next request (its stage is already complete) runs the whole chain: once it is
            // through, the first request's resumption has long run on the same, single loop.
            assertEquals(200, get(proxy, "/name").statusCode());
            assertEquals(1, laterCalls.get(), "only the second request reached the later plugin");
        }
    }

    // ------------------------------------------------------------------ failures after sending

    @Test
    void aGetResetBeforeTheResponseIsRetriedElsewhere() throws Exception {
        try (RetryRawBackend resetting = new RetryRawBackend(Mode.RESET)) {
            Failover f = new Failover(resetting.port(), good.port());
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("failover", f).start()) {
                HttpResponse<String> r = get(proxy, "/name");
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("good", r.body());

                Logged l = f.awaitLogged(TIMEOUT);
                assertEquals(List.of(new Call("error_while_proxying", ErrorKind.UPSTREAM_RESET, 1, true, null, resetting.port(), "/name")),
                        l.calls());
                assertEquals(2, l.attempts());
                assertEquals(List.of(0, resetting.port()), l.peerSeenByUpstreamPeer());
                assertEquals(1, resetting.heads(), "the first attempt did reach the resetting backend");
            }
        }
    }

    @Test
    void aPostResetBeforeTheResponseIsNotRetried() throws Exception {
        int before = good.requestsServed();
        try (RetryRawBackend resetting = new RetryRawBackend(Mode.RESET, 1 << 20)) {
            Failover f = new Failover(resetting.port(), good.port());
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("failover", f).start()) {
                HttpResponse<String> r = send(proxy, "POST", "/upload", DeterministicBytes.bytes(SEED, 100));
                assertEquals(502, r.statusCode(), r.body());

                Logged l = f.awaitLogged(TIMEOUT);
                assertEquals(1, l.calls().size(), "the hook still hears of it: " + l.calls());
                Call c = l.calls().get(0);
                assertEquals("error_while_proxying", c.hook());
                assertEquals(ErrorKind.UPSTREAM_RESET, c.kind());
                assertFalse(c.retryable(), c.toString());
                assertNotNull(c.why());
                assertTrue(c.why().contains("POST"), c.why());
                assertEquals(1, l.attempts());
                assertEquals(502, l.status());
                assertNotNull(l.error());
                assertEquals(1, resetting.heads());
            }
        }
        assertEquals(before, good.requestsServed(), "a POST that may have been acted on must not go to another backend");
    }

    @Test
    void aPutWithinTheRetryBodyLimitIsReplayedWhole() throws Exception {
        int n = 10 * 1024;
        try (RetryRawBackend resetting = new RetryRawBackend(Mode.RESET, 4096)) { // reads part of the body, then resets
            Failover f = new Failover(resetting.port(), good.port());
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("failover", f).start()) {
                HttpResponse<String> r = send(proxy, "PUT", "/upload", DeterministicBytes.bytes(SEED, n));
                assertEquals(200, r.statusCode(), r.body());
                assertEquals(uploadJson(n), r.body(), "the replayed body arrives whole and unchanged");

                Logged l = f.awaitLogged(TIMEOUT);
                assertEquals(List.of(new Call("error_while_proxying", ErrorKind.UPSTREAM_RESET, 1, true, null, resetting.port(), "/upload")),
                        l.calls());
                assertEquals(2, l.attempts());
            }
        }
    }

    @Test
    void aPutLargerThanTheRetryBodyLimitIsNotRetried() throws Exception {
        int n = 1024 * 1024;
        int before = good.requestsServed();
        // The backend reads 256 KiB of the body before it resets: by then more than the 64 KiB limit went out.
        try (RetryRawBackend resetting = new RetryRawBackend(Mode.RESET, 256 * 1024)) {
            Failover f = new Failover(resetting.port(), good.port());
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1).retryBodyLimit(64 * 1024).plugin("failover", f).start()) {
                RawHttp.Response r = sendRaw(proxy, "PUT", "/upload", n);
                assertEquals(502, r.status(), r.bodyText());

                Logged l = f.awaitLogged(TIMEOUT);
                assertEquals(1, l.calls().size(), l.calls().toString());
                Call c = l.calls().get(0);
                assertEquals(ErrorKind.UPSTREAM_RESET, c.kind());
                assertFalse(c.retryable());
                assertTrue(c.why() != null && c.why().contains("retry_body_limit"), String.valueOf(c.why()));
                assertEquals(1, l.attempts());
            }
        }
        assertEquals(before, good.requestsServed(), "a body that was not kept cannot be sent again");
    }

    @Test
    void aRaisedRetryBodyLimitLetsTheSamePutBeReplayed() throws Exception {
        int n = 1024 * 1024;
        try (RetryRawBackend resetting = new RetryRawBackend(Mode.RESET, 256 * 1024)) {
            Failover f = new Failover(resetting.port(), good.port());
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1).retryBodyLimit(2 * n).plugin("failover", f).start()) {
                RawHttp.Response r = sendRaw(proxy, "PUT", "/upload", n);
                assertEquals(200, r.status(), r.bodyText());
                assertEquals(uploadJson(n), r.bodyText(), "a body streamed while the retry was set up arrives whole and in order");

                Logged l = f.awaitLogged(TIMEOUT);
                assertEquals(1, l.calls().size(), l.calls().toString());
                assertTrue(l.calls().get(0).retryable(), l.calls().toString());
                assertEquals(2, l.attempts());
            }
        }
    }

    @Test
    void aChunkedPutIsReplayedWhole() throws Exception {
        int n = 10 * 1024;
        try (RetryRawBackend resetting = new RetryRawBackend(Mode.RESET)) {
            Failover f = new Failover(resetting.port(), good.port());
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("failover", f).start()) {
                // ofInputStream has no length: the client sends the body chunked, last chunk included.
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(proxy.uri("/upload")).timeout(TIMEOUT)
                        .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> DeterministicBytes.stream(SEED, n))).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                assertEquals(uploadJson(n), r.body());
                Logged l = f.awaitLogged(TIMEOUT);
                assertEquals(1, l.calls().size(), l.calls().toString());
                assertEquals(ErrorKind.UPSTREAM_RESET, l.calls().get(0).kind());
                assertEquals(2, l.attempts());
            }
        }
    }

    /**
     * The attempt fails while the client is still sending: what went out is replayed to the next
     * peer, and the rest of the body, arriving after the retry started, follows it in order.
     */
    @Test
    void aBodyStillArrivingWhenTheAttemptFailsIsReplayedThenStreamed() throws Exception {
        int n = 1024 * 1024;
        int first = 1024;
        try (RetryRawBackend resetting = new RetryRawBackend(Mode.RESET, first)) {
            Failover f = new Failover(resetting.port(), good.port());
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("failover", f).start();
                 Socket socket = RawHttp.connect(proxy.port(), TIMEOUT)) {
                OutputStream out = socket.getOutputStream();
                InputStream body = DeterministicBytes.stream(SEED, n);
                out.write(("PUT /upload HTTP/1.1\r\nHost: retry.test\r\nContent-Length: " + n + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(body.readNBytes(first));
                out.flush();
                long deadline = System.nanoTime() + TIMEOUT.toNanos();
                while (f.calls.isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(5); // until the first attempt has failed and the hook ran
                }
                assertEquals(1, f.calls.size(), "the resetting backend failed the first attempt");
                body.transferTo(out);
                out.flush();
                RawHttp.Response r = RawHttp.readResponse(new BufferedInputStream(socket.getInputStream()));
                assertEquals(200, r.status(), r.bodyText());
                assertEquals(uploadJson(n), r.bodyText());
                Logged l = f.awaitLogged(TIMEOUT);
                assertTrue(l.calls().get(0).retryable(), l.calls().toString());
                assertEquals(2, l.attempts());
            }
        }
    }

    @Test
    void aRetryIsWatchedForSilenceToo() throws Exception {
        try (RetryRawBackend silent1 = new RetryRawBackend(Mode.SILENT);
             RetryRawBackend silent2 = new RetryRawBackend(Mode.SILENT)) {
            Failover f = new Failover(silent1.port(), silent2.port(), good.port());
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1).readTimeout(Duration.ofMillis(300))
                    .plugin("failover", f).start()) {
                HttpResponse<String> r = get(proxy, "/name");
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("good", r.body());
                Logged l = f.awaitLogged(TIMEOUT);
                assertEquals(List.of(
                        new Call("error_while_proxying", ErrorKind.UPSTREAM_TIMEOUT, 1, true, null, silent1.port(), "/name"),
                        new Call("error_while_proxying", ErrorKind.UPSTREAM_TIMEOUT, 2, true, null, silent2.port(), "/name")), l.calls());
                assertEquals(3, l.attempts());
            }
        }
    }

    @Test
    void aTimeoutBeforeTheHeadIsRetriedElsewhere() throws Exception {
        try (RetryRawBackend silent = new RetryRawBackend(Mode.SILENT)) {
            Failover f = new Failover(silent.port(), good.port());
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1).readTimeout(Duration.ofMillis(300))
                    .plugin("failover", f).start()) {
                HttpResponse<String> r = get(proxy, "/name");
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("good", r.body());

                Logged l = f.awaitLogged(TIMEOUT);
                assertEquals(List.of(new Call("error_while_proxying", ErrorKind.UPSTREAM_TIMEOUT, 1, true, null, silent.port(), "/name")),
                        l.calls());
                assertEquals(2, l.attempts());
                assertEquals(1, silent.heads());
            }
        }
    }

    @Test
    void aTimeoutNobodyRetriesIs504() throws Exception {
        int before = good.requestsServed();
        try (RetryRawBackend silent = new RetryRawBackend(Mode.SILENT)) {
            Failover f = new Failover(silent.port(), good.port()).answering(false);
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1).readTimeout(Duration.ofMillis(300))
                    .plugin("failover", f).start()) {
                HttpResponse<String> r = get(proxy, "/name");
                assertEquals(504, r.statusCode(), r.body());

                Logged l = f.awaitLogged(TIMEOUT);
                assertEquals(List.of(new Call("error_while_proxying", ErrorKind.UPSTREAM_TIMEOUT, 1, true, null, silent.port(), "/name")),
                        l.calls(), "the hook is asked even when it will not retry");
                assertEquals(1, l.attempts());
                assertEquals(504, l.status());
                assertEquals(ErrorKind.UPSTREAM_TIMEOUT, l.error().kind());
            }
        }
        assertEquals(before, good.requestsServed());
    }

    @Test
    void aResponseThatIsNotHttpIsReportedAndRetried() throws Exception {
        try (RetryRawBackend garbage = new RetryRawBackend(Mode.GARBAGE)) {
            Failover f = new Failover(garbage.port(), good.port());
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("failover", f).start()) {
                HttpResponse<String> r = get(proxy, "/name");
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("good", r.body());

                Logged l = f.awaitLogged(TIMEOUT);
                assertEquals(1, l.calls().size(), l.calls().toString());
                Call c = l.calls().get(0);
                assertEquals("error_while_proxying", c.hook());
                assertEquals(ErrorKind.INVALID_RESPONSE, c.kind());
                assertTrue(c.retryable());
                assertEquals(2, l.attempts());
            }
        }
    }

    // ------------------------------------------------------------------ upstream_request_filter on a retry

    @Test
    void upstreamRequestFilterRunsAgainOnThePreFilterHeadAfterAConnectFailure() throws Exception {
        int closed = closedPort();
        Failover f = new Failover(closed, good.port()).editingHeaders();
        try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("failover", f).start()) {
            HttpResponse<String> r = get(proxy, "/echo");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(List.of("X-Attempt-Filter: 2"), linesOf(r.body(), "X-Attempt-Filter"),
                    "the retry's filter ran on the head as it was before the first run: " + r.body());
            assertEquals(List.of("X-Before: 1"), linesOf(r.body(), "X-Before"), "request_filter's edit is kept, once");
        }
    }

    @Test
    void upstreamRequestFilterRunsAgainOnThePreFilterHeadAfterAReset() throws Exception {
        try (RetryRawBackend resetting = new RetryRawBackend(Mode.RESET)) {
            Failover f = new Failover(resetting.port(), good.port()).editingHeaders();
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("failover", f).start()) {
                HttpResponse<String> r = get(proxy, "/echo");
                assertEquals(200, r.statusCode(), r.body());
                assertEquals(List.of("X-Attempt-Filter: 2"), linesOf(r.body(), "X-Attempt-Filter"), r.body());
                assertEquals(List.of("X-Before: 1"), linesOf(r.body(), "X-Before"), r.body());
                assertEquals(1, linesOf(r.body(), "Host").size(), r.body());
            }
        }
    }

    private static List<String> linesOf(String echo, String header) {
        List<String> out = new ArrayList<>();
        for (String line : echo.split("\n")) {
            if (line.regionMatches(true, 0, header + ":", 0, header.length() + 1)) {
                out.add(line);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ failing hooks and the cap

    @Test
    void aThrowingFailToConnectHookFailsOnlyItsRequest() throws Exception {
        int closed = closedPort();
        Failover f = new Failover(closed, good.port()).throwingOn("/boom");
        try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("failover", f).start()) {
            assertEquals(500, get(proxy, "/boom").statusCode());
            Logged l = f.awaitLogged(TIMEOUT);
            assertEquals(500, l.status());
            assertEquals(ErrorKind.PLUGIN, l.error().kind());
            assertEquals(1, l.attempts(), "no retry after a hook threw");

            HttpResponse<String> next = get(proxy, "/name");
            assertEquals(200, next.statusCode(), "the proxy still serves (and still retries) the next request");
            assertEquals("good", next.body());
            assertEquals(2, f.awaitLogged(TIMEOUT).attempts());
        }
    }

    @Test
    void aThrowingErrorWhileProxyingHookFailsOnlyItsRequest() throws Exception {
        int before = good.requestsServed();
        try (RetryRawBackend resetting = new RetryRawBackend(Mode.RESET)) {
            Failover f = new Failover(resetting.port(), good.port()).throwingOn("/boom");
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("failover", f).start()) {
                assertEquals(500, get(proxy, "/boom").statusCode());
                Logged l = f.awaitLogged(TIMEOUT);
                assertEquals(500, l.status());
                assertEquals(ErrorKind.PLUGIN, l.error().kind());
                assertEquals(before, good.requestsServed(), "no retry after a hook threw");

                assertEquals(200, get(proxy, "/name").statusCode());
            }
        }
    }

    /**
     * A 500 for a plugin failure is an ordinary answer: the client connection stays usable, as for a
     * throw in any other phase.
     */
    @Test
    void aThrowingFailToConnectHookKeepsTheClientConnection() throws Exception {
        int closed = closedPort();
        Failover f = new Failover(closed, good.port()).throwingOn("/boom");
        try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("failover", f).start();
             Socket socket = RawHttp.connect(proxy.port(), TIMEOUT)) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            RawHttp.send(socket, "GET /boom HTTP/1.1\r\nHost: retry.test\r\n\r\n");
            RawHttp.Response first = RawHttp.readResponse(in);
            assertEquals(500, first.status());
            assertFalse("close".equalsIgnoreCase(first.header("Connection")), "nothing calls for closing: " + first.headers());
            RawHttp.send(socket, "GET /name HTTP/1.1\r\nHost: retry.test\r\n\r\n");
            RawHttp.Response second = RawHttp.readResponse(in);
            assertEquals(200, second.status());
            assertEquals("good", second.bodyText());
        }
    }

    @Test
    void aHookThatAlwaysAsksStopsAtTheAttemptCap() throws Exception {
        Failover f = new Failover(closedPort(), closedPort(), closedPort());
        try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("failover", f).start()) {
            HttpResponse<String> r = get(proxy, "/name");
            assertEquals(502, r.statusCode(), r.body());

            Logged l = f.awaitLogged(TIMEOUT);
            assertEquals(ProxyPlugin.MAX_ATTEMPTS, l.calls().size(), "one hook call per attempt: " + l.calls());
            assertEquals(ProxyPlugin.MAX_ATTEMPTS, l.attempts());
            for (int i = 0; i < l.calls().size(); i++) {
                Call c = l.calls().get(i);
                assertEquals(i + 1, c.attempt(), l.calls().toString());
                assertEquals(ErrorKind.CONNECT_REFUSED, c.kind());
                boolean last = i == l.calls().size() - 1;
                assertEquals(!last, c.retryable(), "only the last attempt is refused a retry: " + c);
            }
            assertNotNull(l.calls().get(ProxyPlugin.MAX_ATTEMPTS - 1).why());
        }
    }

    // ------------------------------------------------------------------ the pooled-connection rule

    /** Records only logging: implements no failure hook, so the chain does not want retries. */
    static final class LogOnly implements ProxyPlugin<Void> {
        final java.util.concurrent.LinkedBlockingQueue<String> ends = new java.util.concurrent.LinkedBlockingQueue<>();

        @Override
        public void logging(dev.turnpike.api.Session s, Void ctx) {
            ends.add(s.request().method() + " " + s.request().path() + " " + s.status() + " attempts=" + s.upstreamAttempts());
        }

        String await() throws InterruptedException {
            String e = ends.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertNotNull(e, "logging did not run");
            return e;
        }
    }

    /** One GET over a new raw connection, no Content-Length: {@code status body}. */
    static String rawGet(InJvmProxy proxy, String path, String extraHeaders) throws IOException {
        try (Socket socket = RawHttp.connect(proxy.port(), TIMEOUT)) {
            RawHttp.send(socket, "GET " + path + " HTTP/1.1\r\nHost: retry.test\r\n" + extraHeaders + "\r\n");
            RawHttp.Response r = RawHttp.readResponse(new BufferedInputStream(socket.getInputStream()));
            return r.status() + " " + r.bodyText().trim();
        }
    }

    /**
     * The pooled-connection rule also holds in a chain without failure hooks (no body is kept for
     * replay then): the request resent on the fresh connection must be a whole request, so that the
     * connection, pooled again, carries the next request.
     */
    @Test
    void theRequestResentOnAFreshConnectionIsWholeWithoutFailureHooks() throws Exception {
        try (RetryRawBackend raw = new RetryRawBackend(Mode.ANSWER_ONCE_THEN_CLOSE)) {
            LogOnly ends = new LogOnly();
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1)
                    .plugin("log", ends).plugin("route", new Route(raw.port())).start()) {
                assertEquals("200 raw", rawGet(proxy, "/a", ""));
                assertEquals("GET /a 200 attempts=1", ends.await());
                assertEquals("200 raw", rawGet(proxy, "/b", "")); // connection 1 closes on it: resent on connection 2
                assertEquals("GET /b 200 attempts=2", ends.await());
                // Connection 2 is pooled again; it closes on its next request, which goes to connection 3.
                assertEquals("200 raw", rawGet(proxy, "/c", ""));
                assertEquals("GET /c 200 attempts=2", ends.await());
                assertEquals(List.of("GET /a HTTP/1.1", "GET /b HTTP/1.1", "GET /b HTTP/1.1", "GET /c HTTP/1.1", "GET /c HTTP/1.1"),
                        raw.requestLines(), "every request went out whole on its connection");
                assertEquals(3, raw.connections());
            }
        }
    }

    /**
     * An empty body ({@code Content-Length: 0}, which java.net.http sends on a plain GET) needs no
     * keeping: the pooled-connection rule applies to it as to a request without a body.
     */
    @Test
    void aGetWithAnEmptyBodyIsResentOnAFreshConnectionWithoutFailureHooks() throws Exception {
        try (RetryRawBackend raw = new RetryRawBackend(Mode.ANSWER_ONCE_THEN_CLOSE)) {
            LogOnly ends = new LogOnly();
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1)
                    .plugin("log", ends).plugin("route", new Route(raw.port())).start()) {
                assertEquals("200 raw", rawGet(proxy, "/a", "Content-Length: 0\r\n"));
                assertEquals("GET /a 200 attempts=1", ends.await());
                assertEquals("200 raw", rawGet(proxy, "/b", "Content-Length: 0\r\n"));
                assertEquals("GET /b 200 attempts=2", ends.await());
            }
        }
    }

    @Test
    void aReusedConnectionClosedUnderARequestIsRetriedOnceWithoutHooksOnlyWhenResendable() throws Exception {
        try (RetryRawBackend raw = new RetryRawBackend(Mode.ANSWER_ONCE_THEN_CLOSE)) {
            Failover f = new Failover(raw.port());
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("failover", f).start()) {
                assertEquals(200, get(proxy, "/a").statusCode()); // opens connection 1, pooled after
                assertEquals(1, f.awaitLogged(TIMEOUT).attempts());

                // Reuses connection 1, which closes on it: the same request goes again on a fresh one.
                HttpResponse<String> r = get(proxy, "/b");
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("raw", r.body());
                Logged b = f.awaitLogged(TIMEOUT);
                assertEquals(List.of(), b.calls(), "the pooled-connection race is not the backend's failure: no hook");
                assertEquals(2, b.attempts());
                assertEquals(2, raw.connections());

                // A POST reusing connection 2 is not resent: the backend may have acted on it.
                HttpResponse<String> p = send(proxy, "POST", "/c", "x".getBytes(StandardCharsets.US_ASCII));
                assertEquals(502, p.statusCode(), p.body());
                Logged c = f.awaitLogged(TIMEOUT);
                assertEquals(1, c.attempts());
                assertEquals(1, c.calls().size(), c.calls().toString());
                assertEquals(ErrorKind.UPSTREAM_RESET, c.calls().get(0).kind());
                assertFalse(c.calls().get(0).retryable());
                assertEquals(2, raw.connections(), "no fresh connection for the POST");
                assertEquals(List.of("GET /a HTTP/1.1", "GET /b HTTP/1.1", "GET /b HTTP/1.1", "POST /c HTTP/1.1"),
                        raw.requestLines());
            }
        }
    }
}
