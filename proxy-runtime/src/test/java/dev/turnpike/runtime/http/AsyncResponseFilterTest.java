package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.testing.RawHttp;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * While an asynchronous response_filter thinks, the backend's response may already be complete and
 * its connection closed: that is a good answer, not a failure. And a backend that sends a second
 * head for one request is not allowed to replace the first one (or leak what was held).
 */
class AsyncResponseFilterTest {

    /** A response_filter that answers 300 ms later, from another thread. */
    static final class Slow implements ProxyPlugin<Void> {
        @Override
        public Outcome responseFilter(Session session, Void ctx) {
            session.response().headers().set("X-Slow", "yes");
            return Outcome.later(CompletableFuture.supplyAsync(Outcome::proceed,
                    CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS)));
        }
    }

    /** A backend that answers each connection's first request with {@code reply}, then closes. */
    static final class OneShot implements AutoCloseable {
        final ServerSocket server;
        final Thread thread;

        OneShot(String reply) throws IOException {
            server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            thread = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept()) {
                        InputStream in = s.getInputStream();
                        StringBuilder head = new StringBuilder();
                        while (!head.toString().endsWith("\r\n\r\n")) {
                            int c = in.read();
                            if (c < 0) {
                                break;
                            }
                            head.append((char) c);
                        }
                        OutputStream out = s.getOutputStream();
                        out.write(reply.getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "one-shot-backend");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    private static RawHttp.Response get(InJvmProxy proxy, String path) throws IOException {
        try (Socket s = RawHttp.connect(proxy.port(), java.time.Duration.ofSeconds(20))) {
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return RawHttp.readResponse(new BufferedInputStream(s.getInputStream()));
        }
    }

    @Test
    void aCompleteResponseWhoseConnectionClosesWhileTheFilterThinksIsDeliveredWhole() throws Exception {
        Witness w = new Witness();
        try (OneShot backend = new OneShot("HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world");
             InJvmProxy proxy = InJvmProxy.builder().plugin("slow", new Slow()).plugin("witness", w)
                     .plugin("route", new Route(backend.port())).start()) {
            RawHttp.Response r = get(proxy, "/x");
            assertEquals(200, r.status());
            assertEquals("hello world", r.bodyText());
            assertEquals("yes", r.header("X-Slow"));
            Witness.Seen seen = w.next();
            assertEquals(null, seen.kind(), "nothing failed: " + seen);
            assertEquals(List.of(), w.hooks, "passive health hears of no failure");
        }
    }

    @Test
    void aCloseDelimitedBodyEndsWithTheCloseEvenWhileTheFilterThinks() throws Exception {
        Witness w = new Witness();
        try (OneShot backend = new OneShot("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
             InJvmProxy proxy = InJvmProxy.builder().plugin("slow", new Slow()).plugin("witness", w)
                     .plugin("route", new Route(backend.port())).start()) {
            RawHttp.Response r = get(proxy, "/x");
            assertEquals(200, r.status());
            assertEquals("until the end", r.bodyText());
            assertEquals(null, w.next().kind());
        }
    }

    @Test
    void aSecondHeadForOneRequestDoesNotReplaceTheFirst() throws Exception {
        Witness w = new Witness();
        try (OneShot backend = new OneShot("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
                + "HTTP/1.1 500 Oops\r\nContent-Length: 6\r\n\r\nsecond");
             InJvmProxy proxy = InJvmProxy.builder().plugin("slow", new Slow()).plugin("witness", w)
                     .plugin("route", new Route(backend.port())).start()) {
            RawHttp.Response r = get(proxy, "/x");
            assertEquals(200, r.status());
            assertEquals("first", r.bodyText());
            assertEquals(200, w.next().upstreamStatus());
        }
    }
}
