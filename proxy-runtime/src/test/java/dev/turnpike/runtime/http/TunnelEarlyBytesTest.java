package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.UpgradeEchoBackend;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The bytes a client sends after an upgrade request, before the 101: held for the tunnel, in
 * order, whatever came before the upgrade, and never a corrupted stream when there are too many.
 */
class TunnelEarlyBytesTest {

    private UpgradeEchoBackend backend;
    private InJvmProxy proxy;

    @AfterEach
    void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private void start() throws Exception {
        backend = new UpgradeEchoBackend();
        Peer peer = Peer.of("127.0.0.1", backend.port());
        proxy = InJvmProxy.builder().plugin("route", new ProxyPlugin<Void>() {
            @Override
            public Outcome upstreamPeer(Session session, Void ctx) {
                return Outcome.upstream(peer);
            }
        }).start();
    }

    private static String upgrade(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: backend.test\r\nUpgrade: " + UpgradeEchoBackend.PROTOCOL
                + "\r\nConnection: Upgrade\r\n\r\n";
    }

    /**
     * A plain request pipelined before an upgrade: the plain one's end must not resume the decoder
     * that holds for the queued upgrade, or the early tunnel bytes would be parsed as HTTP.
     */
    @Test
    void earlyBytesAfterAnUpgradePipelinedBehindAPlainRequestReachTheTunnel() throws Exception {
        start();
        try (Socket s = RawHttp.connect(proxy.port(), java.time.Duration.ofSeconds(10))) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            String early = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
            out.write(("GET /plain HTTP/1.1\r\nHost: backend.test\r\n\r\n" + upgrade("/echo") + early)
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            assertEquals(200, RawHttp.readResponse(in).status());
            assertEquals(101, RawHttp.readResponse(in).status());
            out.write("late".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String echoed = new String(in.readNBytes(early.length() + 4), StandardCharsets.ISO_8859_1);
            assertEquals(early + "late", echoed, "the bytes after the upgrade are the tunnel's, in order");
        }
    }

    /**
     * More than server.max_header_size bytes sent before the 101: the connection is closed, never a
     * tunnel that starts with the client's later bytes.
     */
    @Test
    void tooManyEarlyBytesAreRefusedNotSilentlyDropped() throws Exception {
        start();
        try (Socket s = RawHttp.connect(proxy.port(), java.time.Duration.ofSeconds(10))) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            byte[] early = new byte[40_000];
            java.util.Arrays.fill(early, (byte) 'e');
            out.write(upgrade("/echo").getBytes(StandardCharsets.ISO_8859_1));
            out.write(early);
            out.flush();
            byte[] rest;
            try {
                rest = in.readAllBytes(); // the proxy closes: the flood cannot be trusted as a tunnel's start
            } catch (java.net.SocketException reset) {
                rest = new byte[0];
            }
            String seen = new String(rest, StandardCharsets.ISO_8859_1);
            int body = seen.indexOf("\r\n\r\n");
            String after = body < 0 ? "" : seen.substring(body + 4);
            assertTrue(after.isEmpty() || after.startsWith("eeee"),
                    "a tunnel that opened must start with the bytes the client sent first, not: " + after.substring(0, Math.min(40, after.length())));
        }
    }
}
