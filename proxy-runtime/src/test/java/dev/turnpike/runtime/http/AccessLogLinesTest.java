package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.TestBackend;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Access-log lines through a real proxy: the per-attempt upstream fields of a retried request, an
 * unparseable head sent on a raw socket, the error kind of a refused backend, and the order of lines
 * from two event loops.
 */
class AccessLogLinesTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    TestBackend backend;
    int deadPort;
    InJvmProxy proxy;
    AccessLines accessLines;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** /retry: the dead port first, then (fail_to_connect asks again) the live backend; /dead: the dead port only. */
    final class DeadThenLive implements ProxyPlugin<int[]> {
        @Override
        public int[] newContext(Session session) {
            return new int[1];
        }

        @Override
        public Outcome upstreamPeer(Session s, int[] tries) {
            boolean dead = s.request().path().startsWith("/dead") || (s.request().path().startsWith("/retry") && tries[0]++ == 0);
            return Outcome.upstream(Peer.builder("127.0.0.1", dead ? deadPort : backend.port()).group("g1").build());
        }

        @Override
        public boolean failToConnect(Session s, int[] tries, UpstreamFailure failure) {
            return s.request().path().startsWith("/retry");
        }
    }

    @BeforeEach
    void start() throws Exception {
        backend = new TestBackend("b");
        backend.start();
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        accessLines = new AccessLines();
        proxy = InJvmProxy.builder().workers(2).plugin("lb", new DeadThenLive()).start();
    }

    @AfterEach
    void stop() {
        accessLines.close();
        proxy.close();
        backend.close();
    }

    private List<String> awaitLines(int n) throws InterruptedException {
        return accessLines.awaitTexts(n, TIMEOUT);
    }

    private static void assertHas(String line, String... fields) {
        for (String f : fields) {
            assertTrue(line.contains(f), f + " in " + line);
        }
    }

    @Test
    void aRetriedRequestLogsEveryAttempt() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(proxy.uri("/retry/x")).timeout(TIMEOUT)
                .header("User-Agent", "lines-test/1").header("Referer", "http://ref.example/").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        String line = awaitLines(1).get(0);
        String dead = "127.0.0.1:" + deadPort;
        String live = "127.0.0.1:" + backend.port();
        assertHas(line, "method=GET", "path=/retry/x", "protocol=HTTP/1.1", "host=127.0.0.1:" + proxy.port(), "status=200",
                "attempts=2", "upstream=" + live, "upstream_addr=\"" + dead + ", " + live + "\"",
                "upstream_status=\"-, 200\"", "upstream_connect_ms=\"-, ", "upstream_header_ms=\"-, ",
                "upstream_response_ms=\"", "error=-", "user_agent=lines-test/1", "referer=http://ref.example/");
        Matcher times = Pattern.compile("upstream_response_ms=\"([0-9.]+), ([0-9.]+)\"").matcher(line);
        assertTrue(times.find(), line);
        String m = proxy.scrape();
        assertEquals(1, InJvmProxy.value(m, "turnpike_upstream_responses_total{backend=\"" + live + "\",status_class=\"2xx\",}"), m);
        assertEquals(1, InJvmProxy.value(m, "turnpike_upstream_response_duration_seconds_count{backend=\"" + live + "\",}"), m);
        assertFalse(m.contains("turnpike_upstream_responses_total{backend=\"" + dead), "no response from the dead port: " + m);
    }

    @Test
    void aRefusedBackendLogsTheErrorKindNotTheExceptionText() throws Exception {
        assertEquals(502, http.send(HttpRequest.newBuilder(proxy.uri("/dead")).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        String line = awaitLines(1).get(0);
        assertHas(line, "status=502", "error=connect_refused", "attempts=1", "upstream_status=-", "upstream_connect_ms=-");
        assertFalse(line.toLowerCase().contains("connection refused") || line.contains("Exception"), line);
    }

    @Test
    void anUnparseableHeadIsLoggedWithItsReasonAndBytes() throws Exception {
        String head = "GET /x HTTP/1.1\r\nHost: a\r\nBad Header: 1\r\n\r\n";
        RawHttp.Exchange ex = RawHttp.exchange(proxy.port(), head, TIMEOUT);
        assertTrue(ex.text().startsWith("HTTP/1.1 400"), ex.text());
        String line = awaitLines(1).get(0);
        assertHas(line, "method=-", "path=-", "protocol=-", "status=400", "error=bad_request", "reason=",
                "head_bytes=" + head.length());
        assertFalse(line.contains("/bad-request"), "nothing made up: " + line);
    }

    @Test
    void aHeadThatNeverEndsIsLoggedAsAClientTimeout() throws Exception {
        proxy.close();
        proxy = InJvmProxy.builder().headerTimeout(Duration.ofMillis(300)).plugin("lb", new DeadThenLive()).start();
        String partial = "GET /slow HTTP/1.1\r\nHost: a\r\nX-Trickle: ";
        RawHttp.Exchange ex = RawHttp.exchange(proxy.port(), partial, TIMEOUT);
        assertTrue(ex.closedByPeer(), "the proxy closes the connection");
        String line = awaitLines(1).get(0);
        assertHas(line, "method=-", "path=-", "status=0", "error=client_timeout",
                "reason=\"no complete request head within 300 ms\"", "head_bytes=" + partial.length());
        assertEquals(1, proxy.metric("turnpike_client_timeouts_total"));
    }

    @Test
    void linesFromTwoEventLoopsLeaveInTheOrderRequestsFinished() throws Exception {
        int clients = 8;
        int each = 60;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                done.add(pool.submit(() -> {
                    // A client of its own per thread: its connections land on either event loop.
                    HttpClient own = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                    for (int i = 0; i < each; i++) {
                        assertEquals(200, own.send(HttpRequest.newBuilder(proxy.uri("/ok")).timeout(TIMEOUT).build(),
                                HttpResponse.BodyHandlers.ofString()).statusCode());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        List<String> lines = awaitLines(clients * each);
        Pattern ts = Pattern.compile("^ts=(\\S+) ");
        Instant last = Instant.MIN;
        int outOfOrder = 0;
        for (String l : lines) {
            Matcher m = ts.matcher(l);
            assertTrue(m.find(), l);
            Instant t = Instant.parse(m.group(1));
            if (t.isBefore(last)) {
                outOfOrder++;
            }
            last = t.isAfter(last) ? t : last;
        }
        assertEquals(0, outOfOrder, "lines out of timestamp order");
    }
}
