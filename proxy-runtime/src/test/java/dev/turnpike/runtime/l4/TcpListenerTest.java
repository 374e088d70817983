package dev.turnpike.runtime.l4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.runtime.config.ProxyProtocolMode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A tcp listener in the test JVM, over real sockets on 127.0.0.1, with a scripted chain: every
 * connection phase, its outcomes and failures, the relay, the PROXY protocol header.
 */
@Timeout(60)
class TcpListenerTest {

    private final ScriptedConnectionPlugin plugin = new ScriptedConnectionPlugin();
    private InJvmTcpProxy proxy;
    private ProxyProtocolBackend backend;

    @AfterEach
    void close() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private InJvmTcpProxy start(InJvmTcpProxy.Builder b) throws InterruptedException {
        proxy = b.plugin("scripted", plugin).start();
        return proxy;
    }

    private Outcome toBackend() {
        return Outcome.upstream(Peer.of("127.0.0.1", backend.port()));
    }

    @Test
    void echoesThroughTheListenerAndPassesTheHalfCloseOn() throws Exception {
        backend = ProxyProtocolBackend.plain();
        plugin.peer = (s, n) -> toBackend();
        start(InJvmTcpProxy.builder());
        try (Socket c = connect()) {
            c.getOutputStream().write("hello over l4".getBytes(StandardCharsets.US_ASCII));
            c.shutdownOutput(); // the backend echoes until it sees the end, then closes
            assertEquals("hello over l4", new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII),
                    "everything echoed, then the end of the stream: the half-close reached the backend and back");
        }
        ScriptedConnectionPlugin.Logged l = awaitLogged();
        assertEquals(InJvmTcpProxy.NAME, l.listener());
        assertEquals("127.0.0.1:" + backend.port(), l.peer());
        assertTrue(l.relayed());
        assertNull(l.error());
        assertEquals(1, l.attempts());
        assertEquals(13, l.fromClient());
        assertEquals(13, l.toClient());
        assertEquals("closed", l.end());
        assertTrue(l.ended());
        await(() -> proxy.chain().inFlight() == 0, "the connection let go of its chain");
        assertEquals(1, proxy.metric("turnpike_tcp_connections_total", "listener", InJvmTcpProxy.NAME, "outcome", "relayed"));
        assertEquals(0, proxy.metric("turnpike_tcp_connections_open", "listener", InJvmTcpProxy.NAME));
        assertEquals(13, proxy.metric("turnpike_tunnel_bytes_total", "kind", "tcp", "direction", "upstream"));
    }

    @Test
    void aRejectingFilterClosesTheConnectionAndNothingIsConnected() throws Exception {
        backend = ProxyProtocolBackend.plain();
        plugin.filter = s -> s.clientAddress().getAddress().isLoopbackAddress()
                ? Outcome.reject("loopback clients are not served") : Outcome.proceed();
        plugin.peer = (s, n) -> toBackend();
        start(InJvmTcpProxy.builder());
        try (Socket c = connect()) {
            assertEquals(-1, c.getInputStream().read(), "closed without a byte");
        }
        ScriptedConnectionPlugin.Logged l = awaitLogged();
        assertEquals("scripted", l.rejectedBy());
        assertEquals("loopback clients are not served", l.reason());
        assertFalse(l.relayed());
        assertNull(l.peer(), "upstream_peer never ran");
        assertEquals(0, backend.connections(), "nothing reached the backend");
        assertEquals(1, proxy.metric("turnpike_tcp_connections_total", "listener", InJvmTcpProxy.NAME, "outcome", "rejected"));
    }

    @Test
    void aFailedConnectIsRetriedOnAnotherBackendBeforeAnyByteIsRelayed() throws Exception {
        backend = ProxyProtocolBackend.plain();
        int dead = closedPort();
        plugin.peer = (s, n) -> n == 0 ? Outcome.upstream(Peer.of("127.0.0.1", dead)) : toBackend();
        plugin.retry = (s, f) -> f.retryable();
        start(InJvmTcpProxy.builder());
        try (Socket c = connect()) {
            c.getOutputStream().write("sent before the backend was chosen".getBytes(StandardCharsets.US_ASCII));
            c.shutdownOutput();
            assertEquals("sent before the backend was chosen",
                    new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
        }
        ScriptedConnectionPlugin.Logged l = awaitLogged();
        assertEquals(2, l.attempts());
        assertEquals(1, plugin.failures.size());
        assertEquals(ErrorKind.CONNECT_REFUSED, plugin.failures.get(0).kind());
        assertEquals(1, plugin.failures.get(0).attempt());
        assertTrue(plugin.failures.get(0).retryable());
        assertEquals("127.0.0.1:" + backend.port(), l.peer());
        assertEquals(1, proxy.metric("turnpike_tcp_upstream_connects_total", "listener", InJvmTcpProxy.NAME,
                "result", "connect_refused"));
        assertEquals(1, proxy.metric("turnpike_tcp_upstream_connects_total", "listener", InJvmTcpProxy.NAME, "result", "ok"));
    }

    @Test
    void withoutARetryTheFailedConnectClosesTheClient() throws Exception {
        int dead = closedPort();
        plugin.peer = (s, n) -> Outcome.upstream(Peer.of("127.0.0.1", dead));
        start(InJvmTcpProxy.builder());
        try (Socket c = connect()) {
            assertEquals(-1, c.getInputStream().read());
        }
        ScriptedConnectionPlugin.Logged l = awaitLogged();
        assertEquals("connect_refused", l.error());
        assertEquals(1, l.attempts());
        assertEquals(1, proxy.metric("turnpike_tcp_connections_total", "listener", InJvmTcpProxy.NAME,
                "outcome", "connect_refused"));
    }

    @Test
    void noPluginChoosingABackendIsNoPeer() throws Exception {
        start(InJvmTcpProxy.builder());
        try (Socket c = connect()) {
            assertEquals(-1, c.getInputStream().read());
        }
        assertEquals("no_peer", awaitLogged().error());
    }

    @Test
    void aThrowingPhaseFailsOnlyItsConnectionAndLoggingStillRuns() throws Exception {
        backend = ProxyProtocolBackend.plain();
        boolean[] first = {true};
        plugin.filter = s -> {
            if (first[0]) {
                first[0] = false;
                throw new IllegalStateException("boom");
            }
            return Outcome.proceed();
        };
        plugin.peer = (s, n) -> toBackend();
        start(InJvmTcpProxy.builder());
        try (Socket c = connect()) {
            assertEquals(-1, c.getInputStream().read());
        }
        assertEquals("plugin", awaitLogged().error());
        assertEquals(1, proxy.metrics().pluginFailures("scripted", "connection_filter"));
        try (Socket c = connect()) {
            c.getOutputStream().write('x');
            c.shutdownOutput();
            assertEquals("x", new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII),
                    "the next connection is served");
        }
    }

    @Test
    void aPhaseMayDecideLaterFromAnotherThread() throws Exception {
        backend = ProxyProtocolBackend.plain();
        ScheduledExecutorService other = Executors.newSingleThreadScheduledExecutor();
        try {
            plugin.peer = (s, n) -> {
                CompletableFuture<Outcome> later = new CompletableFuture<>();
                other.schedule(() -> later.complete(toBackend()), 50, TimeUnit.MILLISECONDS);
                return Outcome.later(later);
            };
            start(InJvmTcpProxy.builder());
            try (Socket c = connect()) {
                c.getOutputStream().write("later".getBytes(StandardCharsets.US_ASCII));
                c.shutdownOutput();
                assertEquals("later", new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
            }
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    void aStageThatNeverCompletesFailsThePhaseAtThePhaseTimeout() throws Exception {
        plugin.filter = s -> Outcome.later(new CompletableFuture<>());
        start(InJvmTcpProxy.builder().phaseTimeout(Duration.ofMillis(200)));
        try (Socket c = connect()) {
            assertEquals(-1, c.getInputStream().read(), "closed once the phase timed out");
        }
        assertEquals("plugin", awaitLogged().error());
        assertEquals(1, proxy.metrics().pluginFailures("scripted", "connection_filter"));
    }

    @Test
    void theProxyProtocolV2HeaderComesFirstWithTheClientsAddress() throws Exception {
        backend = ProxyProtocolBackend.withProxyProtocol();
        plugin.peer = (s, n) -> toBackend();
        start(InJvmTcpProxy.builder().proxyProtocol(ProxyProtocolMode.V2));
        try (Socket c = connect()) {
            c.getOutputStream().write("after the header".getBytes(StandardCharsets.US_ASCII));
            c.shutdownOutput();
            assertEquals("after the header", new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
            ProxyProtocolBackend.Header h = backend.headers().get(0);
            assertEquals(2, h.version());
            assertEquals("PROXY", h.command());
            assertEquals(new InetSocketAddress(c.getLocalAddress(), c.getLocalPort()), h.source(),
                    "the source is the client's end of its connection to the proxy");
            assertEquals(proxy.address(), h.destination(), "the destination is the listener the client connected to");
        }
    }

    @Test
    void theProxyProtocolV1Header() throws Exception {
        backend = ProxyProtocolBackend.withProxyProtocol();
        plugin.peer = (s, n) -> toBackend();
        start(InJvmTcpProxy.builder().proxyProtocol(ProxyProtocolMode.V1));
        try (Socket c = connect()) {
            c.shutdownOutput();
            assertEquals(-1, c.getInputStream().read());
            ProxyProtocolBackend.Header h = backend.headers().get(0);
            assertEquals(1, h.version());
            assertEquals("PROXY TCP4 127.0.0.1 127.0.0.1 " + c.getLocalPort() + " " + proxy.port(), h.raw());
        }
    }

    @Test
    void theIdleTimeoutClosesAQuietConnection() throws Exception {
        backend = ProxyProtocolBackend.plain();
        plugin.peer = (s, n) -> toBackend();
        start(InJvmTcpProxy.builder().idleTimeout(Duration.ofMillis(300)));
        try (Socket c = connect()) {
            c.getOutputStream().write('x');
            assertEquals('x', c.getInputStream().read());
            assertEquals(-1, c.getInputStream().read(), "closed once nothing moved for the idle timeout");
        }
        assertEquals("idle", awaitLogged().end());
    }

    @Test
    void manyMegabytesEachWayArriveIntact() throws Exception {
        backend = ProxyProtocolBackend.plain();
        plugin.peer = (s, n) -> toBackend();
        start(InJvmTcpProxy.builder());
        byte[] data = new byte[32 << 20];
        new Random(7).nextBytes(data);
        java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong();
        try (Socket c = connect()) {
            CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return digest(c.getInputStream(), received);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            c.getOutputStream().write(data);
            c.shutdownOutput();
            byte[] got = read.get(30, TimeUnit.SECONDS);
            // The count first: a short echo (a connection ended early) and a wrong one (bytes out of
            // order) are different failures.
            assertEquals(data.length, received.get(), "bytes echoed back");
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), got, "32 MiB each way, checksummed");
        }
        ScriptedConnectionPlugin.Logged l = awaitLogged();
        assertEquals(data.length, l.fromClient());
        assertEquals(data.length, l.toClient());
    }

    // ------------------------------------------------------------------ helpers

    private Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", proxy.port());
        s.setSoTimeout(20_000);
        return s;
    }

    /** The first connection's logging, once that connection is wholly over (metrics counted, chain let go: release is last). */
    private ScriptedConnectionPlugin.Logged awaitLogged() throws InterruptedException {
        await(() -> !plugin.logged.isEmpty(), "logging ran");
        await(() -> proxy.chain().inFlight() == 0, "the connection let go of its chain");
        return plugin.logged.get(0);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never happened: " + what);
            }
            Thread.sleep(5);
        }
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static byte[] digest(InputStream in, java.util.concurrent.atomic.AtomicLong count) throws IOException {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 << 10];
            int n;
            while ((n = in.read(buf)) > 0) {
                d.update(buf, 0, n);
                count.addAndGet(n);
            }
            return d.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
