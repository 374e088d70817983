package dev.turnpike.runtime.it;

import static dev.turnpike.runtime.it.TlsItSupport.metric;
import static dev.turnpike.runtime.it.TlsItSupport.metricsPort;
import static dev.turnpike.runtime.it.TlsItSupport.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.runtime.l4.ProxyProtocolBackend;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * L4 listeners in the packaged proxy ({@code -Xmx64m}, paranoid leak detection) with the bundled
 * load-balancer jar in a tcp chain, against echo backends on ephemeral ports, with raw client
 * sockets: balancing over two backends, one killed under connection churn, a hot reload of the tcp
 * chain, SIGTERM with a connection open, and a tcp chain naming a plugin without connection
 * phases. Waits are bounded polls; no duration is asserted.
 */
@Timeout(120)
class L4IT {

    @TempDir
    Path dir;

    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @AfterEach
    void closeEverything() throws Exception {
        for (int i = closeAfter.size() - 1; i >= 0; i--) {
            closeAfter.get(i).close();
        }
    }

    @Test
    void aKilledBackendUnderConnectionChurnCostsNoNewConnection() throws Exception {
        ProxyProtocolBackend a = backend();
        ProxyProtocolBackend b = backend();
        int port = ProxyProcess.freePort();
        ProxyProcess proxy = start(ProxyProcess.builder(dir).workers(2).extraYaml(tcp(port, ""
                + "backends: ['127.0.0.1:" + a.port() + "', '127.0.0.1:" + b.port() + "']\n"
                + "          health_check: { type: tcp, interval: 200ms, timeout: 200ms, fall: 1, rise: 1 }\n")));
        awaitListening(port, proxy);

        AtomicBoolean killed = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger afterKill = new AtomicInteger();
        AtomicInteger beforeKill = new AtomicInteger();
        AtomicInteger cutAtTheKill = new AtomicInteger();
        ConcurrentLinkedQueue<String> failedAfterKill = new ConcurrentLinkedQueue<>();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        List<Future<?>> loops = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            loops.add(clients.submit(() -> {
                for (int n = 0; !stop.get(); n++) {
                    boolean startedAfterKill = killed.get();
                    String payload = "conn " + thread + "/" + n + " " + "x".repeat(40);
                    String echoed;
                    try {
                        echoed = echo(port, payload);
                    } catch (IOException e) {
                        echoed = e.toString();
                    }
                    boolean ok = payload.equals(echoed);
                    if (startedAfterKill) {
                        afterKill.incrementAndGet();
                        if (!ok) {
                            failedAfterKill.add(payload + " -> " + echoed);
                        }
                    } else if (ok) {
                        beforeKill.incrementAndGet();
                    } else {
                        cutAtTheKill.incrementAndGet(); // relaying to the backend when it died
                    }
                }
                return null;
            }));
        }
        waitFor(Duration.ofSeconds(30), () -> beforeKill.get() >= 400, () -> "400 connections before the kill");
        assertTrue(a.connections() > 0 && b.connections() > 0, "both backends served: a " + a.connections()
                + ", b " + b.connections());
        a.close(); // its listening socket and every connection it had
        killed.set(true);
        int bAtKill = b.connections();
        waitFor(Duration.ofSeconds(60), () -> afterKill.get() >= 1_500, () -> "1500 connections after the kill");
        stop.set(true);
        for (Future<?> f : loops) {
            f.get(30, TimeUnit.SECONDS);
        }
        clients.shutdownNow();
        System.out.println("L4 churn: " + beforeKill.get() + " connections before the kill, " + afterKill.get()
                + " after it (" + (b.connections() - bAtKill) + " reached the survivor), " + cutAtTheKill.get()
                + " relaying to the killed backend were cut with it; proxy log lines about it: "
                + proxy.log().lines().filter(l -> l.contains("DOWN")).count());
        assertEquals(List.of(), List.copyOf(failedAfterKill), "no connection started after the kill failed");
        assertTrue(b.connections() - bAtKill >= afterKill.get(), "every one went to the surviving backend");
        int metrics = metricsPort(proxy);
        waitFor(Duration.ofSeconds(10), () -> metric(metrics, "turnpike_tcp_connections_open{listener=\"churn\"}") == 0,
                () -> "every connection closed in the metrics");
        assertTrue(metric(metrics, "turnpike_tcp_connections_total{listener=\"churn\",outcome=\"relayed\"}")
                >= beforeKill.get() + afterKill.get());
        assertTrue(proxy.log().contains("kind=tcp listener=churn client=127.0.0.1:"), "access-log lines for connections");
    }

    @Test
    void aReloadedTcpChainSendsNewConnectionsToTheNewBackend() throws Exception {
        ProxyProtocolBackend a = backend();
        ProxyProtocolBackend b = backend();
        int port = ProxyProcess.freePort();
        ProxyProcess proxy = start(ProxyProcess.builder(dir).extraYaml(tcp(port, "backends: ['127.0.0.1:" + a.port() + "']\n")));
        awaitListening(port, proxy);
        assertEquals("one", echo(port, "one"));
        assertEquals(1, a.connections());

        String yaml = Files.readString(proxy.config());
        Files.writeString(proxy.config(), yaml.replace("127.0.0.1:" + a.port(), "127.0.0.1:" + b.port()));
        long swapStart = System.nanoTime();
        int failed = 0;
        int served = 0;
        while (b.connections() == 0) {
            if (System.nanoTime() - swapStart > TimeUnit.SECONDS.toNanos(30)) {
                throw new AssertionError("the reloaded tcp chain was not in force within 30 s; log:\n"
                        + ProxyProcess.tail(proxy.log(), 6_000));
            }
            String p = "during reload " + served;
            if (!p.equals(echo(port, p))) {
                failed++;
            }
            served++;
        }
        System.out.println("tcp chain reload: in force after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - swapStart)
                + " ms, " + served + " connections meanwhile");
        assertEquals(0, failed, "no connection failed across the reload");
        int aBefore = a.connections();
        for (int i = 0; i < 20; i++) {
            assertEquals("after " + i, echo(port, "after " + i));
        }
        assertEquals(aBefore, a.connections(), "the old backend gets nothing new");
        assertTrue(proxy.log().contains("generation 2 in force"), "the reload was logged");
    }

    @Test
    void sigtermLetsATcpConnectionRelayUntilTheGracePeriodEnds() throws Exception {
        ProxyProtocolBackend a = backend();
        int port = ProxyProcess.freePort();
        ProxyProcess proxy = ProxyProcess.builder(dir).serverYaml("  grace_period: 3s")
                .extraYaml(tcp(port, "backends: ['127.0.0.1:" + a.port() + "']\n")).backends("127.0.0.1:9").start();
        try {
            stopDuringGrace(proxy, port);
        } finally {
            if (proxy.process().isAlive()) {
                proxy.process().destroyForcibly();
            }
        }
    }

    private static void stopDuringGrace(ProxyProcess proxy, int port) throws Exception {
        awaitListening(port, proxy);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            InputStream in = s.getInputStream();
            s.getOutputStream().write("before\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("before\n", read(in, 7));
            proxy.process().destroy(); // SIGTERM
            waitFor(Duration.ofSeconds(10), () -> proxy.log().contains("SIGTERM: stopping"), () -> "the signal was taken");
            s.getOutputStream().write("after\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("after\n", read(in, 6), "after SIGTERM the connection still relays");
            long signalled = System.nanoTime();
            int r;
            try {
                r = in.read();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("not closed within 30 s of SIGTERM (grace period 3 s); log:\n"
                        + ProxyProcess.tail(proxy.log(), 6_000));
            }
            assertEquals(-1, r, "closed at the end of the grace period");
            System.out.println("tcp connection closed " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled)
                    + " ms after SIGTERM was taken (grace period 3 s)");
        }
        assertTrue(proxy.process().waitFor(20, TimeUnit.SECONDS), "the proxy exited");
        assertEquals(0, proxy.process().exitValue(), "a graceful stop exits 0");
        String log = proxy.log();
        assertTrue(!log.contains(ProxyProcess.LEAK_MARKER), log);
        waitFor(Duration.ofSeconds(1), () -> log.contains("kind=tcp listener=churn") && log.contains("end=shutdown"),
                () -> "the access line of the connection cut by the shutdown:\n" + ProxyProcess.tail(log, 4_000));
    }

    @Test
    void aTcpChainEntryWhosePluginHasNoConnectionPhasesIsRefused() throws Exception {
        Path config = ProxyProcess.builder(dir).pluginJars(ProxyProcess.rateLimitJar())
                .extraYaml("tcp:\n  - listen: '127.0.0.1:" + ProxyProcess.freePort() + "'\n    chain:\n"
                        + "      - id: rate-limit\n        config: { burst: 10, refill_per_second: 10 }\n")
                .backends("127.0.0.1:9").writeConfig();
        ProxyProcess.CliRun run = ProxyProcess.runCli(dir, Duration.ofSeconds(30), "--config", config.toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.stderr().contains(config + ": tcp[0].chain[0].id: plugin rate-limit has no connection-level phases"),
                run::toString);
    }

    // ------------------------------------------------------------------ helpers

    private static String tcp(int port, String lbConfig) {
        return "tcp:\n"
                + "  - listen: '127.0.0.1:" + port + "'\n"
                + "    name: churn\n"
                + "    chain:\n"
                + "      - id: load-balancer\n"
                + "        config:\n"
                + "          " + lbConfig;
    }

    private ProxyProtocolBackend backend() throws IOException {
        ProxyProtocolBackend b = ProxyProtocolBackend.plain();
        closeAfter.add(b);
        return b;
    }

    private ProxyProcess start(ProxyProcess.Builder b) throws Exception {
        ProxyProcess p = b.backends("127.0.0.1:9").start();
        closeAfter.add(p);
        return p;
    }

    private static void awaitListening(int port, ProxyProcess proxy) throws InterruptedException {
        waitFor(Duration.ofSeconds(20), () -> proxy.log().contains("listening for tcp (churn)"),
                () -> "the tcp listener is bound; log:\n" + ProxyProcess.tail(proxy.log(), 4_000));
    }

    /** One connection: send, half-close, read everything back. */
    private static String echo(int port, String payload) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(payload.getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static String read(InputStream in, int n) throws IOException {
        return new String(in.readNBytes(n), StandardCharsets.US_ASCII);
    }
}
