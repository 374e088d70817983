package dev.turnpike.runtime.it;

import static dev.turnpike.runtime.it.TlsItSupport.accessLine;
import static dev.turnpike.runtime.it.TlsItSupport.metric;
import static dev.turnpike.runtime.it.TlsItSupport.metricsPort;
import static dev.turnpike.runtime.it.TlsItSupport.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.DeterministicBytes;
import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.UpgradeEchoBackend;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upgrade tunnels in the packaged proxy ({@code -Xmx64m}, paranoid leak detection; {@link
 * ProxyProcess#close()} fails on a leak report): 1 GiB each way through one tunnel at once,
 * checksummed; a stalled reader stops the other side instead of filling the proxy; SIGTERM lets a
 * tunnel relay until the grace period ends; {@code tunnel.idle_timeout}; the access-log line of a
 * tunnel. Raw client sockets against {@link UpgradeEchoBackend}. Waits are bounded polls; no
 * duration is asserted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TunnelIT {

    private static final long GIB = 1L << 30;
    private static final long MIB = 1L << 20;
    private static final int CHUNK = 256 * 1024;

    @TempDir
    static Path dir;

    private static UpgradeEchoBackend backend;
    private static ProxyProcess proxy;
    private static int metricsPort;

    @BeforeAll
    static void start() throws Exception {
        backend = new UpgradeEchoBackend();
        proxy = ProxyProcess.builder(Files.createDirectories(dir.resolve("main"))).workers(1)
                .backends(backend.hostPort()).start();
        metricsPort = metricsPort(proxy);
    }

    @AfterAll
    static void stop() {
        try {
            if (proxy != null) {
                proxy.close();
            }
        } finally {
            if (backend != null) {
                backend.close();
            }
        }
    }

    /** A raw client connection; its input buffered once, so the head and the tunnel's bytes come from one stream. */
    private static final class Client implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        Client(int port) throws IOException {
            socket = RawHttp.connect(port, Duration.ofSeconds(30));
            in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            out = socket.getOutputStream();
        }

        /** Sends the upgrade to echo-test for {@code path}; fails unless the answer is its 101. */
        void upgrade(String path) throws IOException {
            send("GET " + path + " HTTP/1.1\r\nHost: backend.test\r\nUpgrade: " + UpgradeEchoBackend.PROTOCOL
                    + "\r\nConnection: Upgrade\r\n\r\n");
            RawHttp.Response r = RawHttp.readResponse(in);
            assertEquals(101, r.status(), () -> "the switch for " + path + ": " + r.headers() + " " + r.bodyText());
        }

        void send(String ascii) throws IOException {
            out.write(ascii.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        String read(int n) throws IOException {
            return new String(in.readNBytes(n), StandardCharsets.ISO_8859_1);
        }

        String readToEnd() throws IOException {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Reads {@code n} bytes into {@code digest}; fails when the stream ends before. */
    private static void digest(InputStream in, long n, MessageDigest digest) throws IOException {
        byte[] buf = new byte[CHUNK];
        long got = 0;
        while (got < n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n - got));
            if (r < 0) {
                throw new AssertionError("the tunnel ended after " + got + " of " + n + " bytes; proxy " + proxy.state()
                        + "; log:\n" + ProxyProcess.tail(proxy.log(), 8_000));
            }
            digest.update(buf, 0, r);
            got += r;
        }
    }

    /** The SHA-256 of the first {@code n} bytes of {@link UpgradeEchoBackend#pattern}. */
    private static String patternSha(long n) {
        MessageDigest d = DeterministicBytes.sha256();
        byte[] buf = new byte[CHUNK];
        for (long pos = 0; pos < n; ) {
            int len = (int) Math.min(buf.length, n - pos);
            UpgradeEchoBackend.pattern(pos, buf, 0, len);
            d.update(buf, 0, len);
            pos += len;
        }
        return HexFormat.of().formatHex(d.digest());
    }

    private static String hex(MessageDigest d) {
        return HexFormat.of().formatHex(d.digest());
    }

    private static void assertHealthy(ProxyProcess p) {
        p.assertAlive();
        String log = p.log();
        assertFalse(log.contains("OutOfMemoryError") || log.contains("OutOfDirectMemoryError"),
                () -> "the proxy ran out of memory:\n" + ProxyProcess.tail(log, 12_000));
    }

    /** The proxy's resident set in MiB (Linux), or -1. */
    private static long rssMib(ProxyProcess p) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + p.process().pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux, or gone
        }
        return -1;
    }

    @Test
    @Order(1)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void oneGibibyteEachWayAtOnceChecksummed() throws Exception {
        CompletableFuture<String> expectedDown = CompletableFuture.supplyAsync(() -> patternSha(GIB));
        String path = "/source/" + GIB;
        int trailerLength;
        try (Client c = new Client(proxy.port())) {
            c.upgrade(path);
            MessageDigest sentDigest = DeterministicBytes.sha256();
            CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> {
                byte[] buf = new byte[CHUNK];
                try {
                    // Up the same pattern, shifted, so the two directions differ.
                    for (long pos = 0; pos < GIB; ) {
                        int len = (int) Math.min(buf.length, GIB - pos);
                        UpgradeEchoBackend.pattern(pos + 12_345, buf, 0, len);
                        c.out.write(buf, 0, len);
                        sentDigest.update(buf, 0, len);
                        pos += len;
                    }
                    c.out.flush();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            MessageDigest down = DeterministicBytes.sha256();
            digest(c.in, GIB, down);
            String downSha = hex(down);
            try {
                upload.get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new AssertionError("the upload failed; proxy " + proxy.state() + "; log:\n"
                        + ProxyProcess.tail(proxy.log(), 8_000), e.getCause());
            }
            // The end of the upload, once both directions are through: the backend then tells its
            // digest. (Half-closing as soon as the upload is done, while the download still runs,
            // loses the rest of the download on epoll: TunnelTest's
            // aClientThatHalfClosedStillGetsAnAnswerLargerThanTheSocketBuffers pins that down.)
            c.socket.shutdownOutput();
            String trailer = c.readToEnd();
            trailerLength = trailer.length();
            String[] words = trailer.trim().split(" ");
            assertEquals(4, words.length, "DIGEST <in-count> <in-sha> <out-sha>: " + trailer);
            assertEquals("DIGEST", words[0], trailer);
            assertEquals(GIB, Long.parseLong(words[1]), "bytes the backend received");
            assertEquals(hex(sentDigest), words[2], "sha256 of what the backend received: what the client sent");
            assertEquals(words[3], downSha, "sha256 of what the client received: what the backend sent");
            assertEquals(expectedDown.get(60, TimeUnit.SECONDS), downSha, "sha256 of the download: the pattern");
        }
        assertHealthy(proxy);
        waitFor(Duration.ofSeconds(10), () -> metric(metricsPort, "turnpike_tunnels{kind=\"upgrade\"}") == 0,
                () -> "the tunnel is closed in the metrics");
        assertTrue(metric(metricsPort, "turnpike_tunnel_bytes_total{kind=\"upgrade\",direction=\"upstream\"}") >= GIB,
                TlsItSupport.seriesOf(metricsPort, "turnpike_tunnel_bytes_total"));
        assertTrue(metric(metricsPort, "turnpike_tunnel_bytes_total{kind=\"upgrade\",direction=\"downstream\"}") >= GIB,
                TlsItSupport.seriesOf(metricsPort, "turnpike_tunnel_bytes_total"));
        String line = accessLine(proxy, path);
        assertTrue(line.contains(" status=101 "), line);
        assertTrue(line.contains(" bytes_in=" + GIB + " "), "bytes_in counts the tunnel's upload: " + line);
        assertTrue(line.contains(" bytes_out=" + (GIB + trailerLength) + " "),
                "bytes_out counts the tunnel's download (1 GiB and the DIGEST line): " + line);
    }

    /**
     * The client reads 1 MiB and then nothing for a while; the backend writes as fast as it can.
     * The proxy must stop reading the backend (whose writes then block) rather than take in what
     * the client does not read: what the backend managed to write levels off far below what it
     * means to send. Then the client reads on and everything arrives, in order.
     */
    @Test
    @Order(2)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aStalledReaderStopsTheOtherSide() throws Exception {
        long total = GIB;
        CompletableFuture<String> expected = CompletableFuture.supplyAsync(() -> patternSha(total));
        long rssBefore = rssMib(proxy);
        String path = "/source/" + total + "?stalled-reader";
        try (Client c = new Client(proxy.port())) {
            c.upgrade(path);
            UpgradeEchoBackend.Tunnel t = backend.awaitTunnel(path, 10);
            MessageDigest down = DeterministicBytes.sha256();
            digest(c.in, MIB, down);
            // Stalled: poll what the backend has written until it stops growing for 2 s.
            long last = -1;
            long stableSince = System.nanoTime();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                long now = t.sent();
                if (now != last) {
                    last = now;
                    stableSince = System.nanoTime();
                } else if (System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(2)) {
                    break;
                }
                assertTrue(System.nanoTime() < deadline, "what the backend writes never levelled off: " + now + " bytes");
                assertTrue(now < total, "the backend wrote all " + total + " bytes to a client that reads nothing: "
                        + "the proxy took them in (no backpressure)");
                Thread.sleep(100);
            }
            long rssStalled = rssMib(proxy);
            assertHealthy(proxy);
            assertTrue(last < 64 * MIB, "with the client stalled, the backend could write only what socket buffers and "
                    + "the proxy's bounded queue hold, far below the " + total + " bytes it meant to send: wrote " + last);
            assertTrue(rssBefore < 0 || rssStalled - rssBefore < 128,
                    "the proxy's resident set stays put while stalled: " + rssBefore + " MiB before, " + rssStalled + " MiB stalled");
            digest(c.in, total - MIB, down);
            c.socket.shutdownOutput();
            String trailer = c.readToEnd();
            assertTrue(trailer.startsWith("DIGEST 0 "), trailer);
            String downSha = hex(down);
            assertTrue(trailer.trim().endsWith(" " + downSha), "what arrived is what the backend sent: " + trailer + " vs " + downSha);
            assertEquals(expected.get(60, TimeUnit.SECONDS), downSha, "sha256 of the stalled download");
            System.out.println("stalled reader: the backend wrote " + last + " bytes before it blocked; proxy RSS "
                    + rssBefore + " MiB before, " + rssStalled + " MiB stalled");
        }
        assertHealthy(proxy);
    }

    /**
     * The other direction: the backend reads nothing for a while and the client writes as fast as
     * it can. The proxy must stop reading the client: what the client manages to write levels off.
     * Then the backend reads on and gets every byte, in order.
     */
    @Test
    @Order(3)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aStalledBackendStopsTheClient() throws Exception {
        long total = 512 * MIB;
        backend.holdReads();
        try (Client c = new Client(proxy.port())) {
            c.upgrade("/sink");
            java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
            MessageDigest sent = DeterministicBytes.sha256();
            CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> {
                byte[] buf = new byte[64 * 1024];
                try {
                    for (long pos = 0; pos < total; ) {
                        int len = (int) Math.min(buf.length, total - pos);
                        UpgradeEchoBackend.pattern(pos, buf, 0, len);
                        c.out.write(buf, 0, len);
                        sent.update(buf, 0, len);
                        pos += len;
                        written.addAndGet(len);
                    }
                    c.out.flush();
                    c.socket.shutdownOutput();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            long last = -1;
            long stableSince = System.nanoTime();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                long now = written.get();
                if (now != last) {
                    last = now;
                    stableSince = System.nanoTime();
                } else if (System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(2)) {
                    break;
                }
                assertTrue(System.nanoTime() < deadline, "what the client writes never levelled off: " + now + " bytes");
                assertTrue(now < total, "the client wrote all " + total + " bytes to a backend that reads nothing: "
                        + "the proxy took them in (no backpressure)");
                Thread.sleep(100);
            }
            assertHealthy(proxy);
            assertTrue(last < 64 * MIB, "with the backend stalled, the client could write only what socket buffers and "
                    + "the proxy's bounded queue hold, far below " + total + " bytes: wrote " + last);
            backend.releaseReads();
            try {
                upload.get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new AssertionError("the upload failed; proxy " + proxy.state() + "; log:\n"
                        + ProxyProcess.tail(proxy.log(), 8_000), e.getCause());
            }
            String trailer = c.readToEnd();
            assertTrue(trailer.startsWith("DIGEST " + total + " " + hex(sent) + " "),
                    "the backend got every byte, in order: " + trailer);
            System.out.println("stalled backend: the client wrote " + last + " bytes before it blocked");
        } finally {
            backend.releaseReads();
        }
        assertHealthy(proxy);
    }

    /** The access-log line of a tunnel: status 101, and bytes_in/bytes_out are the tunnel's bytes each way. */
    @Test
    @Order(4)
    @Timeout(60)
    void theAccessLogLineOfATunnel() throws Exception {
        try (Client c = new Client(proxy.port())) {
            c.upgrade("/echo-logged");
            c.send("hello");
            assertEquals("hello", c.read(5));
            c.socket.shutdownOutput();
            assertEquals(UpgradeEchoBackend.BYE, c.readToEnd());
        }
        String line = accessLine(proxy, "/echo-logged");
        assertTrue(line.contains(" method=GET "), line);
        assertTrue(line.contains(" status=101 "), line);
        assertTrue(line.contains(" bytes_in=5 "), "bytes_in: the 5 bytes the client sent through the tunnel: " + line);
        assertTrue(line.contains(" bytes_out=9 "), "bytes_out: the 9 bytes the backend sent (hello, BYE): " + line);
        assertTrue(line.contains(" upstream=" + backend.hostPort() + " "), line);
        assertTrue(line.contains(" error=-"), line);
    }

    @Test
    @Order(5)
    @Timeout(60)
    void anIdleTunnelIsClosedAtTunnelIdleTimeout() throws Exception {
        try (ProxyProcess idle = ProxyProcess.builder(Files.createDirectories(dir.resolve("idle"))).workers(1)
                .backends(backend.hostPort()).extraYaml("tunnel:\n  idle_timeout: 500ms\n").start();
             Client c = new Client(idle.port())) {
            c.upgrade("/echo-idle");
            // Traffic keeps it open well past the timeout: a byte each way every 150 ms, for 1.5 s.
            for (int i = 0; i < 10; i++) {
                c.send("k");
                assertEquals("k", c.read(1), "a busy tunnel is not idle (exchange " + i + ")");
                Thread.sleep(150);
            }
            long quiet = System.nanoTime();
            int r;
            try {
                r = c.in.read();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("an idle tunnel was not closed within 30 s; log:\n" + ProxyProcess.tail(idle.log(), 8_000));
            }
            assertEquals(-1, r, "the idle tunnel is closed: the client's read ends");
            long quietMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - quiet);
            String line = accessLine(idle, "/echo-idle");
            assertTrue(line.contains(" status=101 "), line);
            assertTrue(line.contains(" bytes_in=10 ") && line.contains(" bytes_out=10 "), line);
            System.out.println("idle tunnel closed " + quietMs + " ms after its last byte");
        }
    }

    /**
     * SIGTERM with a tunnel open and {@code server.grace_period: 3s}: the tunnel still relays after
     * the signal, it is closed when the grace period is over, and the process exits 0.
     */
    @Test
    @Order(6)
    @Timeout(60)
    void sigtermLetsATunnelRelayUntilTheGracePeriodEnds() throws Exception {
        ProxyProcess stopping = ProxyProcess.builder(Files.createDirectories(dir.resolve("sigterm"))).workers(1)
                .backends(backend.hostPort()).serverYaml("  grace_period: 3s").start();
        try (Client c = new Client(stopping.port())) {
            c.upgrade("/echo-sigterm");
            c.send("before\n");
            assertEquals("before\n", c.read(7));
            long signalled = System.nanoTime();
            stopping.process().destroy(); // SIGTERM
            waitFor(Duration.ofSeconds(10), () -> stopping.log().contains("SIGTERM: stopping"),
                    () -> "the proxy took the signal; log:\n" + stopping.log());
            c.send("after\n");
            assertEquals("after\n", c.read(6), "after SIGTERM the tunnel still relays");
            int r;
            try {
                r = c.in.read();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the tunnel was not closed within 30 s of SIGTERM (grace period 3 s); proxy "
                        + stopping.state() + "; log:\n" + ProxyProcess.tail(stopping.log(), 8_000));
            }
            assertEquals(-1, r, "the tunnel is closed at the end of the grace period");
            long closedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
            assertTrue(stopping.process().waitFor(15, TimeUnit.SECONDS), "the process exits; log:\n" + stopping.log());
            System.out.println("SIGTERM with a tunnel open (grace 3 s): tunnel closed after " + closedMs + " ms, process exited after "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled) + " ms");
            assertEquals(0, stopping.process().exitValue(), "a graceful stop exits 0; log:\n" + stopping.log());
            String log = stopping.log();
            assertFalse(log.contains(ProxyProcess.LEAK_MARKER), log);
            assertTrue(log.contains("grace period of"), "the tunnel was cut at the end of the grace period: " + log);
            String line = accessLine(stopping, "/echo-sigterm");
            assertTrue(line.contains(" status=101 ") && line.contains(" bytes_in=13 ") && line.contains(" bytes_out=13 "),
                    "the tunnel cut by the shutdown is logged with its bytes: " + line);
        } finally {
            if (stopping.process().isAlive()) {
                stopping.process().destroyForcibly();
            }
        }
    }

    /** A tunnel that ends during the grace period lets the stop finish then, cleanly. */
    @Test
    @Order(7)
    @Timeout(60)
    void aTunnelThatEndsDuringTheGracePeriodLetsTheStopFinishCleanly() throws Exception {
        ProxyProcess stopping = ProxyProcess.builder(Files.createDirectories(dir.resolve("sigterm-clean"))).workers(1)
                .backends(backend.hostPort()).serverYaml("  grace_period: 30s").start();
        try (Client c = new Client(stopping.port())) {
            c.upgrade("/echo-sigterm-clean");
            stopping.process().destroy(); // SIGTERM
            waitFor(Duration.ofSeconds(10), () -> stopping.log().contains("SIGTERM: stopping"),
                    () -> "the proxy took the signal; log:\n" + stopping.log());
            c.send("last\n");
            assertEquals("last\n", c.read(5));
            c.socket.shutdownOutput();
            assertEquals(UpgradeEchoBackend.BYE, c.readToEnd(), "the tunnel ends as usual during the grace period");
            assertTrue(stopping.process().waitFor(20, TimeUnit.SECONDS),
                    "the stop finishes once the tunnel has ended, well before 30 s; log:\n" + stopping.log());
            assertEquals(0, stopping.process().exitValue());
            String log = stopping.log();
            assertFalse(log.contains("grace period of"), "nothing was cut: " + log);
            assertFalse(log.contains(ProxyProcess.LEAK_MARKER), log);
            String line = accessLine(stopping, "/echo-sigterm-clean");
            assertTrue(line.contains(" status=101 ") && line.contains(" bytes_in=5 ") && line.contains(" bytes_out=9 "), line);
        } finally {
            if (stopping.process().isAlive()) {
                stopping.process().destroyForcibly();
            }
        }
    }
}
