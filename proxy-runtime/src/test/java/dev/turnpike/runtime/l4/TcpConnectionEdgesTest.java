package dev.turnpike.runtime.l4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.runtime.config.ProxyProtocolMode;
import dev.turnpike.testing.TestPki;
import dev.turnpike.testing.TlsBackend;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** A tcp connection at its edges: TLS backends, the PROXY header ahead of TLS, clients that leave, shutdown. */
@Timeout(60)
class TcpConnectionEdgesTest {

    private final ScriptedConnectionPlugin plugin = new ScriptedConnectionPlugin();
    private InJvmTcpProxy proxy;

    @AfterEach
    void close() {
        if (proxy != null) {
            proxy.close();
        }
    }

    /** Sanity: a TLS peer works through the L4 connector (auto-read off during the handshake). */
    @Test
    void aTlsPeerIsRelayed() throws Exception {
        TestPki.Authority ca = TestPki.ca("review-ca");
        try (TlsBackend tls = TlsBackend.builder(ca.issue(TestPki.server("localhost"))).start()) {
            plugin.peer = (s, n) -> Outcome.upstream(Peer.builder("127.0.0.1", tls.port()).tls(true).verify(false).build());
            proxy = InJvmTcpProxy.builder().plugin("scripted", plugin).start();
            try (Socket c = new Socket("127.0.0.1", proxy.port())) {
                c.setSoTimeout(10_000);
                c.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                String answer = new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(answer.contains(TlsBackend.BODY), answer);
            }
        }
    }

    /**
     * PROXY protocol spec (and HAProxy "send-proxy ... ssl", nginx "listen ssl proxy_protocol"):
     * the header is the first thing on the TCP connection, before the TLS ClientHello, never
     * inside TLS.
     */
    @Test
    void theProxyHeaderOfATlsPeerPrecedesTheTlsHandshake() throws Exception {
        try (ServerSocket raw = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<byte[]> first = CompletableFuture.supplyAsync(() -> {
                try (Socket s = raw.accept()) {
                    s.setSoTimeout(5_000);
                    return s.getInputStream().readNBytes(6);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            plugin.peer = (s, n) -> Outcome.upstream(Peer.builder("127.0.0.1", raw.getLocalPort()).tls(true)
                    .verify(false).build());
            proxy = InJvmTcpProxy.builder().plugin("scripted", plugin).proxyProtocol(ProxyProtocolMode.V1).start();
            try (Socket c = new Socket("127.0.0.1", proxy.port())) {
                byte[] got = first.get(10, TimeUnit.SECONDS);
                assertEquals("PROXY ", new String(got, StandardCharsets.ISO_8859_1),
                        "first bytes the backend received: " + HexFormat.of().formatHex(got)
                                + " (0x16 0x03 = a TLS handshake record: the PROXY header did not come first)");
            }
        }
    }

    /**
     * A TLS handshake failure towards the backend is the connect's failure (kind tls, throttled
     * error log), never an exception that runs off the end of the backend channel's pipeline
     * (Netty's "reached at the tail" warning, once per connection).
     */
    @Test
    void aFailedTlsHandshakeToTheBackendDoesNotReachThePipelineTail() throws Exception {
        List<String> tail = new CopyOnWriteArrayList<>();
        Logger pipelineLog = (Logger) LoggerFactory.getLogger("io.netty.channel.DefaultChannelPipeline");
        AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                tail.add(e.getFormattedMessage());
            }
        };
        appender.start();
        pipelineLog.addAppender(appender);
        try (ServerSocket raw = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = raw.accept()) {
                    s.getOutputStream().write("this is not TLS at all\r\n\r\n".repeat(4).getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    Thread.sleep(1_000);
                } catch (Exception ignored) {
                    // done
                }
            });
            t.setDaemon(true);
            t.start();
            plugin.peer = (s, n) -> Outcome.upstream(Peer.builder("127.0.0.1", raw.getLocalPort()).tls(true)
                    .verify(false).build());
            proxy = InJvmTcpProxy.builder().plugin("scripted", plugin).start();
            try (Socket c = new Socket("127.0.0.1", proxy.port())) {
                c.setSoTimeout(10_000);
                assertEquals(-1, c.getInputStream().read());
            }
            await(() -> !plugin.logged.isEmpty(), "logging ran");
            assertEquals("tls", plugin.logged.get(0).error());
            Thread.sleep(200);
            assertEquals(List.of(), tail, "exceptions that reached the backend channel's pipeline tail");
        } finally {
            pipelineLog.detachAppender(appender);
        }
    }

    /**
     * The client leaves while its backend connect (here a TLS handshake the backend never answers)
     * is under way: the connection is logged as the client's abort, and the backend connection it
     * started is closed with it, not left to the connect timeout (a minute here, longer than the
     * backend's patience: only a cancelled connect closes in time).
     */
    @Test
    void aClientThatLeavesDuringConnectingTakesItsBackendConnectionWithIt() throws Exception {
        try (ServerSocket raw = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            java.util.concurrent.CountDownLatch accepted = new java.util.concurrent.CountDownLatch(1);
            CompletableFuture<String> backendSaw = CompletableFuture.supplyAsync(() -> {
                try (Socket s = raw.accept()) {
                    accepted.countDown();
                    s.setSoTimeout(20_000);
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[4096];
                    while (in.read(buf) >= 0) {
                        // the ClientHello; never answered
                    }
                    return "closed";
                } catch (java.net.SocketTimeoutException e) {
                    return "still open after 20 s";
                } catch (IOException e) {
                    return "closed";
                }
            });
            plugin.peer = (s, n) -> Outcome.upstream(Peer.builder("127.0.0.1", raw.getLocalPort()).tls(true)
                    .verify(false).build());
            proxy = InJvmTcpProxy.builder().plugin("scripted", plugin).connectTimeout(Duration.ofSeconds(60)).start();
            try (Socket c = new Socket("127.0.0.1", proxy.port())) {
                c.setSoLinger(true, 0); // a reset: gone, not a half-close
                assertTrue(accepted.await(20, TimeUnit.SECONDS), "the proxy connected to the backend");
                Thread.sleep(50); // CONNECTING: the ClientHello is out, the handshake waits on the backend
            }
            await(() -> !plugin.logged.isEmpty(), "logging ran");
            assertEquals("client_abort", plugin.logged.get(0).error());
            assertEquals("closed", backendSaw.get(30, TimeUnit.SECONDS), "the backend connection went with its client");
        }
    }

    /**
     * README: "graceful shutdown lets connections run for the grace period, then closes them": one
     * still in its phases (here upstream_peer takes 500 ms) when the graceful stop starts is served
     * too, not closed as an idle HTTP connection would be.
     */
    @Test
    void aConnectionStillInItsPhasesAtGracefulShutdownIsServedWithinTheGracePeriod() throws Exception {
        try (ProxyProtocolBackend backend = ProxyProtocolBackend.plain()) {
            java.util.concurrent.ScheduledExecutorService other = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
            try {
                plugin.peer = (s, n) -> {
                    CompletableFuture<Outcome> later = new CompletableFuture<>();
                    other.schedule(() -> later.complete(Outcome.upstream(Peer.of("127.0.0.1", backend.port()))),
                            500, TimeUnit.MILLISECONDS);
                    return Outcome.later(later);
                };
                proxy = InJvmTcpProxy.builder().plugin("scripted", plugin).start();
                try (Socket c = new Socket("127.0.0.1", proxy.port())) {
                    c.setSoTimeout(10_000);
                    c.getOutputStream().write("hi".getBytes(StandardCharsets.US_ASCII));
                    Thread.sleep(100); // accepted, upstream_peer pending
                    CompletableFuture<Boolean> stop = CompletableFuture.supplyAsync(
                            () -> proxy.server().shutdownGracefully(Duration.ofSeconds(5)));
                    c.shutdownOutput();
                    String echoed = new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                    stop.get(10, TimeUnit.SECONDS);
                    assertEquals("hi", echoed, "served within the grace period; logged: " + plugin.logged);
                }
            } finally {
                other.shutdownNow();
            }
        }
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

}
