package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.HostPort;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;
import dev.turnpike.runtime.config.ForwardProxySettings;
import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.TestBackend;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The forward proxy in the JVM: CONNECT tunnels to a plain backend (bytes relayed as they are), the
 * policy's refusals before anything is connected, absolute-form requests to the origin they name,
 * and the feature off.
 */
class ForwardProxyTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    static TestBackend origin;
    static TestBackend routed;
    static InJvmProxy proxy;
    static InJvmProxy denying;
    static InJvmProxy off;
    /** What request_filter saw as the forward target, by request line. */
    static final Map<String, String> seen = new ConcurrentHashMap<>();

    /** Records forwardTarget(); answers 407 when the request carries "X-Want: 407". */
    static final class Watch implements ProxyPlugin<Void> {
        @Override
        public Outcome requestFilter(Session session, Void ctx) {
            HostPort t = session.forwardTarget();
            seen.put(session.request().method() + " " + session.request().uri(), String.valueOf(t));
            if ("407".equals(session.request().headers().get("X-Want"))) {
                return Outcome.respond(Response.status(407).header("Proxy-Authenticate", "Basic realm=\"t\"").build());
            }
            return Outcome.proceed();
        }
    }

    @BeforeAll
    static void start() throws Exception {
        origin = new TestBackend("origin");
        origin.start();
        routed = new TestBackend("routed");
        routed.start();
        proxy = InJvmProxy.builder().workers(1).plugin("watch", new Watch()).plugin("route", new Route(routed.port()))
                .forwardProxy(new ForwardProxySettings(true, List.of(origin.port()), List.of(), List.of("10.0.0.0/8")))
                .start();
        denying = InJvmProxy.builder().workers(1).plugin("route", new Route(routed.port()))
                .forwardProxy(new ForwardProxySettings(true, List.of(origin.port()), List.of(), ForwardProxySettings.DEFAULT_DENY))
                .start();
        off = InJvmProxy.builder().workers(1).plugin("route", new Route(routed.port())).start();
    }

    @AfterAll
    static void stop() {
        proxy.close();
        denying.close();
        off.close();
        origin.close();
        routed.close();
    }

    /** Reads a response head (up to its empty line) from {@code in}. */
    static String head(InputStream in) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            b.write(c);
            byte[] a = b.toByteArray();
            int n = a.length;
            if (n >= 4 && a[n - 4] == '\r' && a[n - 3] == '\n' && a[n - 2] == '\r' && a[n - 1] == '\n') {
                break;
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    static String readAll(InputStream in) throws Exception {
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void connectOpensATunnelThatCarriesBytesBothWays() throws Exception {
        try (Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            RawHttp.send(s, "CONNECT 127.0.0.1:" + origin.port() + " HTTP/1.1\r\nHost: 127.0.0.1:" + origin.port() + "\r\n\r\n");
            String h = head(s.getInputStream());
            assertTrue(h.startsWith("HTTP/1.1 200 Connection Established\r\n"), h);
            assertTrue(!h.toLowerCase().contains("content-length") && !h.toLowerCase().contains("transfer-encoding"), h);
            // Through the tunnel, the backend's own HTTP: the proxy does not read it.
            RawHttp.send(s, "GET /name HTTP/1.1\r\nHost: tunnelled\r\nConnection: close\r\n\r\n");
            String answer = readAll(s.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
            assertTrue(answer.endsWith("origin"), answer);
        }
        assertEquals("GET /name HTTP/1.1", origin.lastRequestLine());
        assertEquals("127.0.0.1:" + origin.port(), seen.get("CONNECT 127.0.0.1:" + origin.port()));
    }

    @Test
    void bytesSentRightAfterTheConnectAreHeldAndHandedToTheTunnel() throws Exception {
        try (Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            RawHttp.send(s, "CONNECT 127.0.0.1:" + origin.port() + " HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /name?early HTTP/1.1\r\nHost: early\r\nConnection: close\r\n\r\n");
            String h = head(s.getInputStream());
            assertTrue(h.startsWith("HTTP/1.1 200 Connection Established"), h);
            String answer = readAll(s.getInputStream());
            assertTrue(answer.endsWith("origin"), answer);
        }
    }

    @Test
    void aPortNotInConnectPortsIsRefusedAndNothingIsConnected() throws Exception {
        int before = routed.connectionsAccepted();
        RawHttp.Exchange x = RawHttp.exchange(proxy.port(), "CONNECT 127.0.0.1:" + routed.port() + " HTTP/1.1\r\nHost: x\r\n"
                + "Connection: close\r\n\r\n", TIMEOUT);
        assertTrue(x.text().startsWith("HTTP/1.1 403"), x.text());
        assertTrue(x.text().contains("CONNECT to port " + routed.port() + " is not allowed"), x.text());
        assertEquals(before, routed.connectionsAccepted());
    }

    @Test
    void aNameThatResolvesToLoopbackIsRefusedWithTheDefaultDenyList() throws Exception {
        int before = origin.connectionsAccepted();
        RawHttp.Exchange x = RawHttp.exchange(denying.port(), "CONNECT localhost:" + origin.port() + " HTTP/1.1\r\nHost: x\r\n"
                + "Connection: close\r\n\r\n", TIMEOUT);
        assertTrue(x.text().startsWith("HTTP/1.1 403"), x.text());
        assertTrue(x.text().contains("localhost resolves to a denied network"), x.text());
        RawHttp.Exchange literal = RawHttp.exchange(denying.port(), "GET http://127.0.0.1:" + origin.port()
                + "/name HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", TIMEOUT);
        assertTrue(literal.text().startsWith("HTTP/1.1 403"), literal.text());
        assertEquals(before, origin.connectionsAccepted());
    }

    @Test
    void aRefusedConnectLeavesTheConnectionUsable() throws Exception {
        try (Socket s = RawHttp.connect(proxy.port(), TIMEOUT)) {
            RawHttp.send(s, "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /name HTTP/1.1\r\nHost: next\r\nConnection: close\r\n\r\n");
            String all = readAll(s.getInputStream());
            assertTrue(all.startsWith("HTTP/1.1 403"), all);
            assertTrue(all.endsWith("routed"), all); // the next request, an ordinary one
        }
    }

    @Test
    void aPluginMayAnswerAConnect() throws Exception {
        int before = origin.connectionsAccepted();
        RawHttp.Exchange x = RawHttp.exchange(proxy.port(), "CONNECT 127.0.0.1:" + origin.port() + " HTTP/1.1\r\nHost: x\r\n"
                + "X-Want: 407\r\nConnection: close\r\n\r\n", TIMEOUT);
        assertTrue(x.text().startsWith("HTTP/1.1 407"), x.text());
        assertTrue(x.text().contains("Proxy-Authenticate: Basic realm=\"t\""), x.text());
        assertEquals(before, origin.connectionsAccepted());
    }

    @Test
    void anAbsoluteFormRequestGoesToTheOriginItNames() throws Exception {
        RawHttp.Exchange x = RawHttp.exchange(proxy.port(), "GET http://127.0.0.1:" + origin.port()
                + "/name?q=1 HTTP/1.1\r\nHost: ignored\r\nConnection: close\r\n\r\n", TIMEOUT);
        assertTrue(x.text().startsWith("HTTP/1.1 200"), x.text());
        assertTrue(x.text().endsWith("origin"), x.text());
        assertEquals("GET /name?q=1 HTTP/1.1", origin.lastRequestLine());
        assertEquals(List.of("127.0.0.1:" + origin.port()), origin.lastRequestHeaders().get("host"));
        assertEquals("127.0.0.1:" + origin.port(), seen.get("GET /name?q=1"));
    }

    @Test
    void anOrdinaryRequestHasNoForwardTarget() throws Exception {
        RawHttp.Exchange x = RawHttp.exchange(proxy.port(), "GET /name?plain HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
                TIMEOUT);
        assertTrue(x.text().endsWith("routed"), x.text());
        assertEquals("null", seen.get("GET /name?plain"));
    }

    @Test
    void anHttpsAbsoluteTargetIsToldToUseConnect() throws Exception {
        RawHttp.Exchange x = RawHttp.exchange(proxy.port(), "GET https://127.0.0.1:" + origin.port()
                + "/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", TIMEOUT);
        assertTrue(x.text().startsWith("HTTP/1.1 400"), x.text());
        assertTrue(x.text().contains("use CONNECT for https"), x.text());
    }

    @Test
    void offAsBefore() throws Exception {
        RawHttp.Exchange connect = RawHttp.exchange(off.port(), "CONNECT 127.0.0.1:" + origin.port() + " HTTP/1.1\r\nHost: x\r\n"
                + "Connection: close\r\n\r\n", TIMEOUT);
        assertTrue(connect.text().startsWith("HTTP/1.1 405"), connect.text());
        RawHttp.Exchange absolute = RawHttp.exchange(off.port(), "GET http://127.0.0.1:" + origin.port()
                + "/name HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", TIMEOUT);
        assertTrue(absolute.text().endsWith("routed"), absolute.text()); // the chosen backend, not the origin named
    }
}
