package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;
import dev.turnpike.testing.WebSocketEchoBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * WebSocket through the proxy, with the JDK's own client and a real WebSocket server: the upgrade
 * goes to the backend, its 101 comes back, and from then on the two connections are a tunnel that
 * carries text, binary, ping/pong and the close handshake intact. logging runs once the tunnel has
 * ended, with the bytes each way.
 */
class WebSocketTest {

    private WebSocketEchoBackend backend;
    private InJvmProxy proxy;
    private final AtomicReference<Session> logged = new AtomicReference<>();
    private final AtomicLong up = new AtomicLong(-1);
    private final AtomicLong down = new AtomicLong(-1);
    private final AtomicReference<Integer> status = new AtomicReference<>();

    @BeforeEach
    void setUp() throws Exception {
        backend = new WebSocketEchoBackend();
    }

    @AfterEach
    void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
        backend.close();
    }

    private final class Route implements ProxyPlugin<Void> {
        private final Peer peer = Peer.of("127.0.0.1", backend.port());
        private final boolean refuse;

        Route(boolean refuse) {
            this.refuse = refuse;
        }

        @Override
        public Outcome requestFilter(Session session, Void ctx) {
            if (refuse && "websocket".equalsIgnoreCase(session.request().headers().get("Upgrade"))) {
                return Outcome.respond(Response.status(403).body("no websockets here").build());
            }
            return Outcome.proceed();
        }

        @Override
        public Outcome upstreamPeer(Session session, Void ctx) {
            return Outcome.upstream(peer);
        }

        @Override
        public void logging(Session session, Void ctx) {
            status.set(session.status());
            up.set(session.requestBodyBytes());
            down.set(session.responseBodyBytes());
            logged.set(session);
        }
    }

    /** What the client's listener saw, in order. */
    private static final class Seen implements WebSocket.Listener {
        final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        private final StringBuilder text = new StringBuilder();
        private java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                events.add("text:" + text);
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            binary.write(b, 0, b.length);
            if (last) {
                events.add(binary.toByteArray());
                binary = new java.io.ByteArrayOutputStream();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
            events.add("pong:" + StandardCharsets.UTF_8.decode(message));
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            events.add("close:" + statusCode + ":" + reason);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            events.add(error);
        }

        Object next() throws InterruptedException {
            Object e = events.poll(30, TimeUnit.SECONDS);
            if (e instanceof Throwable t) {
                throw new AssertionError("the client saw an error", t);
            }
            return e;
        }
    }

    @Test
    void textBinaryPingAndCloseCrossTheTunnelIntact() throws Exception {
        proxy = InJvmProxy.builder().plugin("route", new Route(false)).start();
        Seen seen = new Seen();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create("ws://127.0.0.1:" + proxy.port() + "/ws"), seen).get(30, TimeUnit.SECONDS);

        ws.sendText("hello, tunnel", true).get(10, TimeUnit.SECONDS);
        assertEquals("text:hello, tunnel", seen.next());
        String big = "x".repeat(200_000); // more than one read, more than one frame's worth of buffers
        ws.sendText(big, true).get(10, TimeUnit.SECONDS);
        assertEquals("text:" + big, seen.next());
        byte[] bytes = new byte[70_000];
        new java.util.Random(7).nextBytes(bytes);
        ws.sendBinary(ByteBuffer.wrap(bytes), true).get(10, TimeUnit.SECONDS);
        assertArrayEquals(bytes, (byte[]) seen.next());
        ws.sendPing(ByteBuffer.wrap("are you there".getBytes(StandardCharsets.UTF_8))).get(10, TimeUnit.SECONDS);
        assertEquals("pong:are you there", seen.next());
        ws.sendClose(4001, "done here").get(10, TimeUnit.SECONDS);
        assertEquals("close:4001:done here", seen.next());

        awaitLogging();
        assertEquals(101, status.get());
        assertTrue(up.get() > 270_000, "client-to-backend tunnel bytes are counted: " + up.get());
        assertTrue(down.get() > 270_000, "backend-to-client tunnel bytes are counted: " + down.get());
        assertTrue(backend.handshakeHeaders().stream().anyMatch(h -> h.equalsIgnoreCase("upgrade: websocket")),
                backend.handshakeHeaders().toString());
        assertTrue(backend.handshakeHeaders().stream().anyMatch(h -> h.equalsIgnoreCase("connection: upgrade")),
                backend.handshakeHeaders().toString());
        assertEquals(0, proxy.metric("turnpike_tunnels"), "the tunnel is closed");
        assertEquals(1, proxy.metric("turnpike_tunnels_opened_total"));
    }

    @Test
    void aRequestFilterCanRefuseTheUpgrade() throws Exception {
        proxy = InJvmProxy.builder().plugin("route", new Route(true)).start();
        CompletableFuture<WebSocket> f = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + proxy.port() + "/ws"), new Seen());
        CompletionException e = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class, f::join);
        assertTrue(e.getCause() instanceof WebSocketHandshakeException, e.toString());
        assertEquals(403, ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode());
        assertTrue(backend.handshakeHeaders().isEmpty(), "nothing reached the backend");
    }

    private void awaitLogging() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (logged.get() == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(logged.get() != null, "logging ran when the tunnel ended");
    }
}
