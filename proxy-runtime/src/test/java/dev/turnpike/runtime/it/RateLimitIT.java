package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.TestBackend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled rate-limit plugin in the real proxy: {@code java -jar turnpike.jar} with the chain
 * {@code [rate-limit, round-robin]}, a real backend and real HTTP clients over loopback. Every test
 * also checks that the backend never saw a rejected request.
 */
class RateLimitIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private HttpResponse<String> get(RateLimitedProxy proxy, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(proxy.uri(path)).timeout(TIMEOUT);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), BodyHandlers.ofString());
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    /** Statuses of {@code n} sequential requests. */
    private List<Integer> statuses(RateLimitedProxy proxy, int n, String... headers) throws Exception {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(get(proxy, "/name", headers).statusCode());
        }
        return out;
    }

    private static List<Integer> repeat(int status, int n) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(status);
        }
        return out;
    }

    private static List<Integer> concat(List<Integer> a, List<Integer> b) {
        List<Integer> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    @Test
    @Timeout(60)
    void burstTenAtHalfPerSecondPassesTenThenFive429sAndOneMoreTwoSecondsLater() throws Exception {
        try (TestBackend backend = new TestBackend("solo")) {
            backend.start();
            try (RateLimitedProxy proxy = RateLimitedProxy.start(dir, backend, 1,
                    "{ burst: 10, refill_per_second: 0.5, headers: true }")) {
                List<HttpResponse<String>> responses = new ArrayList<>();
                for (int i = 0; i < 15; i++) {
                    responses.add(get(proxy, "/name"));
                }
                List<Integer> statuses = responses.stream().map(HttpResponse::statusCode).collect(Collectors.toList());
                assertEquals(concat(repeat(200, 10), repeat(429, 5)), statuses, () -> "log:\n" + proxy.log());

                for (int i = 0; i < 10; i++) {
                    HttpResponse<String> ok = responses.get(i);
                    assertEquals("solo", ok.body());
                    assertEquals("10", header(ok, "RateLimit-Limit"), "headers: true puts them on allowed responses");
                    assertEquals(String.valueOf(9 - i), header(ok, "RateLimit-Remaining"));
                    assertEquals(String.valueOf(9 - i), header(ok, "X-RateLimit-Remaining"));
                    assertNotNull(header(ok, "RateLimit-Reset"));
                }
                for (int i = 10; i < 15; i++) {
                    HttpResponse<String> limited = responses.get(i);
                    long retryAfter = Long.parseLong(header(limited, "Retry-After"));
                    assertTrue(retryAfter >= 1 && retryAfter <= 2, "Retry-After " + retryAfter);
                    assertEquals("10", header(limited, "RateLimit-Limit"));
                    assertEquals("0", header(limited, "RateLimit-Remaining"));
                    long reset = Long.parseLong(header(limited, "RateLimit-Reset"));
                    assertTrue(reset >= 19 && reset <= 20, "RateLimit-Reset " + reset);
                    assertEquals("10", header(limited, "X-RateLimit-Limit"));
                    assertEquals("0", header(limited, "X-RateLimit-Remaining"));
                    assertEquals(String.valueOf(reset), header(limited, "X-RateLimit-Reset"));
                    assertEquals("Too Many Requests\n", limited.body());
                    assertEquals(null, header(limited, "X-Backend-Name"), "written by the proxy, not the backend");
                }
                assertEquals(10, backend.requestsServed(), "the backend never saw a rejected request");

                Thread.sleep(2_100);
                assertEquals(List.of(200, 429), statuses(proxy, 2), "one token came back in 2 s, not two");
                assertEquals(11, backend.requestsServed());

                String log = proxy.log();
                List<String> warnings = log.lines().filter(l -> l.contains("WARN") && l.contains("rejecting requests of"))
                        .collect(Collectors.toList());
                assertFalse(warnings.isEmpty(), () -> "a WARN line for the rejected key; log:\n" + log);
                assertTrue(warnings.get(0).contains("127.0.0.1"), warnings.get(0));
                assertTrue(warnings.size() <= 3, () -> "at most one per key per second: " + warnings);
                proxy.assertAlive();
            }
        }
    }

    @Test
    @Timeout(60)
    void slidingWindowOfTenPerMinuteRejectsTheEleventh() throws Exception {
        try (TestBackend backend = new TestBackend("solo")) {
            backend.start();
            try (RateLimitedProxy proxy = RateLimitedProxy.start(dir, backend, 1,
                    "{ mode: sliding_window, max_requests: 10, window: 60s }")) {
                HttpResponse<String> first = get(proxy, "/name");
                assertEquals(200, first.statusCode(), () -> "log:\n" + proxy.log());
                assertEquals(null, header(first, "RateLimit-Limit"), "headers: false (the default) leaves 200s alone");
                assertEquals(repeat(200, 9), statuses(proxy, 9));
                HttpResponse<String> eleventh = get(proxy, "/name");
                assertEquals(429, eleventh.statusCode());
                long retryAfter = Long.parseLong(header(eleventh, "Retry-After"));
                assertTrue(retryAfter >= 55 && retryAfter <= 60, "Retry-After " + retryAfter);
                assertEquals("10", header(eleventh, "RateLimit-Limit"));
                assertEquals("0", header(eleventh, "RateLimit-Remaining"));
                assertEquals(10, backend.requestsServed());
            }
        }
    }

    @Test
    @Timeout(60)
    void appIdKeyedLimitingWithASharedBucketForRequestsWithoutIt() throws Exception {
        try (TestBackend backend = new TestBackend("solo")) {
            backend.start();
            try (RateLimitedProxy proxy = RateLimitedProxy.start(dir, backend, 1,
                    "{ burst: 3, refill_per_second: 0.01, key: header, header: appid, missing_key: shared }")) {
                assertEquals(List.of(200, 200, 200, 429, 429), statuses(proxy, 5, "appid", "alpha"),
                        () -> "log:\n" + proxy.log());
                assertEquals(List.of(200, 200, 200, 429), statuses(proxy, 4, "appid", "beta"), "another appid, another bucket");
                assertEquals(List.of(200, 200, 200, 429), statuses(proxy, 4), "no appid: one shared bucket");
                assertEquals(List.of(429, 429), statuses(proxy, 2, "appid", ""), "an empty appid is no appid");
                assertEquals(9, backend.requestsServed());
            }
        }
    }

    @Test
    @Timeout(60)
    void appIdKeyedLimitingThatLetsRequestsWithoutItThrough() throws Exception {
        try (TestBackend backend = new TestBackend("solo")) {
            backend.start();
            try (RateLimitedProxy proxy = RateLimitedProxy.start(dir, backend, 1,
                    "{ burst: 2, refill_per_second: 0.01, key: header, header: appid, missing_key: allow }")) {
                assertEquals(List.of(200, 200, 429), statuses(proxy, 3, "AppId", "alpha"), () -> "log:\n" + proxy.log());
                assertEquals(repeat(200, 12), statuses(proxy, 12), "without appid: not limited");
                assertEquals(14, backend.requestsServed());
            }
        }
    }

    @Test
    @Timeout(60)
    void behindATrustedProxyEachForwardedClientHasItsOwnBucket() throws Exception {
        try (TestBackend backend = new TestBackend("solo")) {
            backend.start();
            try (RateLimitedProxy proxy = RateLimitedProxy.start(dir, backend, 1,
                    "{ burst: 2, refill_per_second: 0.01, trusted_proxies: ['127.0.0.1/32'] }")) {
                assertEquals(List.of(200, 200, 429), statuses(proxy, 3, "X-Forwarded-For", "198.51.100.1"),
                        () -> "log:\n" + proxy.log());
                assertEquals(List.of(200, 200, 429), statuses(proxy, 3, "X-Forwarded-For", "198.51.100.2"));
                assertEquals(List.of(429), statuses(proxy, 1, "X-Forwarded-For", "203.0.113.66, 198.51.100.1"),
                        "the right-most untrusted entry is the client; what it wrote to its left is not believed");
                assertEquals(List.of(200, 200, 429), statuses(proxy, 3), "without the header, the peer itself");
                assertEquals(6, backend.requestsServed());
                assertTrue(proxy.log().contains("198.51.100.1"), () -> "the WARN line names the forwarded client:\n" + proxy.log());
            }
        }
    }

    @Test
    @Timeout(60)
    void fromAnUntrustedPeerASpoofedForwardedForBuysNoNewBucket() throws Exception {
        try (TestBackend backend = new TestBackend("solo")) {
            backend.start();
            try (RateLimitedProxy proxy = RateLimitedProxy.start(dir, backend, 1,
                    "{ burst: 2, refill_per_second: 0.01, trusted_proxies: ['10.0.0.0/8'] }")) {
                assertEquals(List.of(200, 200, 429), statuses(proxy, 3, "X-Forwarded-For", "198.51.100.1"),
                        () -> "log:\n" + proxy.log());
                assertEquals(List.of(429, 429), statuses(proxy, 2, "X-Forwarded-For", "198.51.100.2"));
                assertEquals(List.of(429), statuses(proxy, 1, "X-Forwarded-For", "10.1.1.1"));
                assertEquals(List.of(429), statuses(proxy, 1));
                assertEquals(2, backend.requestsServed());
            }
        }
    }

    @Test
    @Timeout(120)
    void sixtyFourConcurrentClientsOnOneKeyGetExactlyTheBurst() throws Exception {
        int burst = 20;
        int clients = 64;
        int each = 3;
        try (TestBackend backend = new TestBackend("solo")) {
            backend.start();
            try (RateLimitedProxy proxy = RateLimitedProxy.start(dir, backend, 4,
                    "{ burst: " + burst + ", refill_per_second: 0.001 }")) {
                AtomicInteger ok = new AtomicInteger();
                AtomicInteger limited = new AtomicInteger();
                List<String> other = java.util.Collections.synchronizedList(new ArrayList<>());
                ExecutorService pool = Executors.newFixedThreadPool(clients);
                CountDownLatch go = new CountDownLatch(1);
                try {
                    List<Future<?>> futures = new ArrayList<>();
                    for (int c = 0; c < clients; c++) {
                        futures.add(pool.submit(() -> {
                            go.await();
                            for (int i = 0; i < each; i++) {
                                RawHttp.Exchange x = RawHttp.exchange(proxy.port(),
                                        "GET /name HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", TIMEOUT);
                                String text = x.text();
                                if (text.startsWith("HTTP/1.1 200 ")) {
                                    ok.incrementAndGet();
                                } else if (text.startsWith("HTTP/1.1 429 ")) {
                                    limited.incrementAndGet();
                                } else {
                                    other.add(text);
                                }
                            }
                            return null;
                        }));
                    }
                    go.countDown();
                    for (Future<?> f : futures) {
                        f.get(60, TimeUnit.SECONDS);
                    }
                } finally {
                    pool.shutdownNow();
                }
                assertEquals(List.of(), other, "every answer is a 200 or a 429");
                assertEquals(burst, ok.get(), () -> "log:\n" + proxy.log());
                assertEquals(clients * each - burst, limited.get());
                assertEquals(burst, backend.requestsServed());
                proxy.assertAlive();
            }
        }
    }

    /**
     * The real proxy with a chain of {@code rate-limit} (configured by the test) then
     * {@code round-robin} over one backend: {@link ProxyProcess} writes only a round-robin chain, so
     * this sibling does the same for this chain, with the same checks on close (leak reports,
     * graceful exit, a clean temp directory) and the same shared helpers.
     */
    static final class RateLimitedProxy implements AutoCloseable {

        private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
        private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

        private final Process process;
        private final int port;
        private final Path log;
        private final Path tmp;
        private boolean closed;

        private RateLimitedProxy(Process process, int port, Path log, Path tmp) {
            this.process = process;
            this.port = port;
            this.log = log;
            this.tmp = tmp;
        }

        /**
         * @param rateLimitConfig the rate-limit entry's {@code config:} as a YAML flow mapping
         */
        static RateLimitedProxy start(Path dir, TestBackend backend, int workers, String rateLimitConfig)
                throws IOException, InterruptedException {
            Path plugins = Files.createDirectories(dir.resolve("plugins"));
            for (Path jar : List.of(ProxyProcess.roundRobinJar(), rateLimitJar())) {
                Files.copy(jar, plugins.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            int port = ProxyProcess.freePort();
            String yaml = "server:\n"
                    + "  listen: " + ProxyProcess.quote("127.0.0.1:" + port) + "\n"
                    + "  workers: " + workers + "\n"
                    // A free port for the admin listener: its default (9091) may be taken.
                    + "metrics:\n"
                    + "  listen: '127.0.0.1:0'\n"
                    + "plugins:\n"
                    + "  dir: " + ProxyProcess.quote(plugins.toAbsolutePath().toString()) + "\n"
                    + "  chain:\n"
                    + "    - id: rate-limit\n"
                    + "      config: " + rateLimitConfig + "\n"
                    + "    - id: round-robin\n"
                    + "      config: { backends: [" + ProxyProcess.quote("127.0.0.1:" + backend.port()) + "] }\n";
            Path config = dir.resolve("proxy.yaml");
            Files.writeString(config, yaml);
            Path log = dir.resolve("proxy.log");
            Path tmp = Files.createDirectories(dir.resolve("jvm-tmp"));
            List<String> command = List.of(ProxyProcess.javaBin(), ProxyProcess.HEAP, ProxyProcess.LEAK_LEVEL,
                    "-Djava.io.tmpdir=" + tmp, "-jar", ProxyProcess.turnpikeJar().toString(), "--config", config.toString());
            Process process = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            RateLimitedProxy proxy = new RateLimitedProxy(process, port, log, tmp);
            try {
                proxy.awaitListening(yaml);
            } catch (Throwable t) {
                proxy.stop();
                throw t;
            }
            return proxy;
        }

        /** The rate-limit jar the build made: {@code <pluginsBuildDir>/rate-limit/target/rate-limit-*.jar}. */
        static Path rateLimitJar() throws IOException {
            String p = System.getProperty("turnpike.pluginsBuildDir");
            if (p == null) {
                fail("system property turnpike.pluginsBuildDir is not set");
            }
            Path target = Path.of(p, "rate-limit", "target");
            List<Path> jars = new ArrayList<>();
            if (Files.isDirectory(target)) {
                try (DirectoryStream<Path> s = Files.newDirectoryStream(target, "rate-limit-*.jar")) {
                    for (Path j : s) {
                        String n = j.getFileName().toString();
                        if (!n.endsWith("-sources.jar") && !n.endsWith("-tests.jar") && !n.endsWith("-javadoc.jar")) {
                            jars.add(j);
                        }
                    }
                }
            }
            if (jars.isEmpty()) {
                fail("no rate-limit-*.jar in " + target + " (is the rate-limit module packaged?)");
            }
            jars.sort(Comparator.comparing((Path j) -> j.toFile().lastModified()).reversed());
            return jars.get(0);
        }

        int port() {
            return port;
        }

        URI uri(String path) {
            return URI.create("http://127.0.0.1:" + port + path);
        }

        String log() {
            try {
                return Files.readString(log, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(cannot read " + log + ": " + e + ")";
            }
        }

        void assertAlive() {
            if (!process.isAlive()) {
                fail("the proxy exited with " + process.exitValue() + "; log:\n" + ProxyProcess.tail(log(), 12_000));
            }
        }

        private void awaitListening(String yaml) throws InterruptedException {
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    fail("the proxy exited with " + process.exitValue() + " before listening; config:\n" + yaml
                            + "\nlog:\n" + ProxyProcess.tail(log(), 12_000));
                }
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    return;
                } catch (IOException notYet) {
                    Thread.sleep(50);
                }
            }
            fail("the proxy did not listen within " + START_TIMEOUT.toSeconds() + " s; log:\n" + ProxyProcess.tail(log(), 12_000));
        }

        /** As {@link ProxyProcess#close()}: leak reports, a graceful exit, nothing left in its temp directory. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            boolean graceful;
            try {
                if (process.isAlive()) {
                    flushLeakReports();
                }
                graceful = stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
                fail("interrupted while stopping the proxy");
                return;
            }
            String text = log();
            List<String> leaks = text.lines().filter(l -> l.contains(ProxyProcess.LEAK_MARKER)).collect(Collectors.toList());
            if (!leaks.isEmpty()) {
                fail(leaks.size() + " Netty leak report(s) in the proxy log:\n" + ProxyProcess.tail(text, 12_000));
            }
            if (!graceful) {
                fail("the proxy did not exit within " + STOP_TIMEOUT.toSeconds() + " s of SIGTERM; log:\n"
                        + ProxyProcess.tail(text, 12_000));
            }
            List<Path> left = ProxyProcess.leftovers(tmp);
            if (!left.isEmpty()) {
                fail("the proxy left " + left + " in its temp directory; log:\n" + ProxyProcess.tail(text, 12_000));
            }
        }

        /** jcmd GC.run, then one request (a 429 allocates buffers too), for Netty to report leaks. */
        private void flushLeakReports() throws InterruptedException {
            Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
            if (Files.isExecutable(jcmd)) {
                try {
                    Process gc = new ProcessBuilder(jcmd.toString(), String.valueOf(process.pid()), "GC.run")
                            .redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                            .start();
                    if (!gc.waitFor(10, TimeUnit.SECONDS)) {
                        gc.destroyForcibly();
                    }
                } catch (IOException e) {
                    System.err.println(this + ": cannot run jcmd: " + e);
                }
            }
            Thread.sleep(100);
            try {
                RawHttp.exchange(port, "GET /leak-probe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                        Duration.ofSeconds(5));
            } catch (IOException e) {
                // any outcome allocated buffers in the proxy
            }
            Thread.sleep(200);
        }

        private boolean stop() throws InterruptedException {
            closed = true;
            if (!process.isAlive()) {
                return true;
            }
            process.destroy();
            if (process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                return true;
            }
            process.destroyForcibly();
            process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return false;
        }

        @Override
        public String toString() {
            return "RateLimitedProxy[127.0.0.1:" + port + "]";
        }
    }
}
