package dev.turnpike.testkit.phases;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Peer;
import dev.turnpike.api.Response;
import dev.turnpike.api.TlsInfo;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class FakeSessionTest {

    @Test
    void defaults() {
        FakeSession s = FakeSession.get("/a/b?x=1");
        assertEquals("GET", s.request().method());
        assertEquals("/a/b?x=1", s.request().uri());
        assertEquals("/a/b", s.request().path());
        assertEquals("x=1", s.request().query());
        assertEquals("HTTP/1.1", s.request().version());
        assertEquals(new InetSocketAddress("192.0.2.10", 40000), s.clientAddress());
        assertEquals(new InetSocketAddress("127.0.0.1", 8080), s.localAddress());
        assertFalse(s.isTls());
        assertNull(s.upstreamRequest());
        assertNull(s.response());
        assertNull(s.peer());
        assertEquals(0, s.request().bodyLength());
        assertNull(FakeSession.get("/").request().query());
        assertNull(s.request().host(), "no Host unless the test sends one");
    }

    @Test
    void theRequestAsTheTestSetsItUp() {
        TlsInfo tls = new TlsInfo("TLSv1.3", "TLS_AES_128_GCM_SHA256", "a.example", null, List.of());
        FakeSession s = FakeSession.request("POST", "/upload").version("HTTP/1.0").header("Host", "a.example")
                .headers("X-A", "1", "x-a", "2").client("2001:db8::1", 5555).tls(tls).bodyLength(-1).requestId("r-9");
        assertEquals("POST", s.request().method());
        assertEquals("HTTP/1.0", s.request().version());
        assertEquals("a.example", s.request().host());
        assertEquals(List.of("1", "2"), s.request().headers().getAll("X-A"));
        assertEquals(new InetSocketAddress("2001:db8::1", 5555), s.clientAddress());
        assertTrue(s.isTls());
        assertEquals(-1, s.request().bodyLength());
        assertEquals("r-9", s.requestId());
        assertNull(FakeSession.get("/").clientAddress(null).clientAddress());
    }

    @Test
    void refusesARequestTheRuntimeWouldNotParse() {
        assertThrows(IllegalArgumentException.class, () -> FakeSession.request("GE T", "/"));
        assertThrows(IllegalArgumentException.class, () -> FakeSession.get("/a b"));
        assertThrows(IllegalArgumentException.class, () -> FakeSession.get("/").version("HTTP/2"));
        assertThrows(IllegalArgumentException.class, () -> FakeSession.get("/").client("example.com"), "a name, never looked up");
        assertThrows(IllegalArgumentException.class, () -> FakeSession.get("/").header("Bad Name", "v"));
        assertThrows(IllegalArgumentException.class, () -> FakeSession.get("/").bodyLength(-2));
    }

    @Test
    void theClientsHeadIsEditableInRequestFilterAndUpstreamPeerOnly() {
        FakeSession s = FakeSession.get("/");
        s.request().headers().set("X-Before", "1"); // no phase yet: a direct call to a plugin's method
        s.enter(Phase.REQUEST_FILTER);
        s.request().headers().set("X-A", "1");
        s.request().setUri("/b");
        s.request().setMethod("HEAD");
        s.enter(Phase.UPSTREAM_PEER);
        s.request().headers().add("X-A", "2");
        s.enter(Phase.RESPONSE_FILTER);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.request().headers().set("X-A", "3"));
        assertTrue(e.getMessage().contains("response_filter"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> s.request().setUri("/c"));
        assertEquals(List.of("1", "2"), s.request().headers().getAll("X-A"));
        assertEquals("HEAD /b", s.request().toString());
        assertThrows(IllegalArgumentException.class, () -> FakeSession.get("/").request().setMethod("BAD METHOD"));
        assertThrows(IllegalArgumentException.class, () -> FakeSession.get("/").request().setUri(""));
    }

    @Test
    void anAttemptsHeadIsACopyEditableInUpstreamRequestFilterOnly() {
        FakeSession s = FakeSession.request("PUT", "/x").header("A", "1").bodyLength(10);
        s.enter(Phase.UPSTREAM_PEER);
        FakeRequestHead up = s.startAttempt();
        assertEquals(1, s.upstreamAttempts());
        assertTrue(up.isUpstream());
        IllegalStateException frozen = assertThrows(IllegalStateException.class, () -> s.request().headers().set("A", "2"));
        assertTrue(frozen.getMessage().contains("read-only once upstream_peer chose a backend"), frozen.getMessage());
        assertThrows(IllegalStateException.class, () -> up.headers().set("A", "2"), "not in upstream_peer");
        s.enter(Phase.UPSTREAM_REQUEST_FILTER);
        up.headers().set("A", "2");
        up.setUri("/y");
        up.setBodyLength(12);
        assertEquals("1", s.request().headers().get("A"), "the client's head is untouched");
        assertEquals("/x", s.request().uri());
        assertEquals(12, up.bodyLength());
        assertEquals(OptionalLong.of(12), up.declaredBodyLength());
        assertEquals(10, s.request().bodyLength());
        assertThrows(IllegalArgumentException.class, () -> up.setBodyLength(-2));
        assertThrows(IllegalStateException.class, () -> s.request().setBodyLength(5), "the client's head never");
        FakeRequestHead retry = s.startAttempt();
        assertNotSame(up, retry);
        assertEquals("1", retry.headers().get("A"), "a retry starts again from the client's head");
        assertEquals(OptionalLong.empty(), retry.declaredBodyLength());
        assertEquals(2, s.upstreamAttempts());
        s.enter(Phase.RESPONSE_FILTER);
        assertThrows(IllegalStateException.class, () -> retry.headers().add("B", "1"));
    }

    @Test
    void aBodyLessRequestCannotDeclareALength() {
        FakeSession s = FakeSession.get("/");
        FakeRequestHead up = s.startAttempt();
        s.enter(Phase.UPSTREAM_REQUEST_FILTER);
        assertTrue(assertThrows(IllegalStateException.class, () -> up.setBodyLength(3)).getMessage().contains("no body"));
        assertEquals("HTTP/1.1", FakeSession.get("/").version("HTTP/1.0").startAttempt().version(), "always 1.1 upstream");
    }

    @Test
    void aBackendsResponseIsEditableInResponseFilterOnly() {
        FakeSession s = FakeSession.get("/");
        FakeResponseHead r = s.upstreamResponse(200, "Server", "x");
        assertEquals(200, s.upstreamStatus());
        assertEquals(200, s.status());
        assertTrue(r.fromBackend());
        s.enter(Phase.RESPONSE_FILTER);
        r.setStatus(404);
        r.headers().remove("server");
        r.setBodyLength(5);
        assertEquals(5, r.bodyLength());
        assertThrows(IllegalArgumentException.class, () -> r.setStatus(101), "a 1xx is not final");
        assertThrows(IllegalArgumentException.class, () -> r.setStatus(600));
        s.enter(Phase.LOGGING);
        assertThrows(IllegalStateException.class, () -> r.setStatus(500));
        assertThrows(IllegalStateException.class, () -> r.headers().add("A", "1"));
        assertThrows(IllegalStateException.class, () -> r.setBodyLength(1));
        assertEquals(404, r.status());
        assertEquals(200, s.upstreamStatus(), "what the backend said, before any edit");
    }

    @Test
    void betweenPhasesNoHeadIsEditable() {
        FakeSession s = FakeSession.get("/");
        s.enter(Phase.REQUEST_FILTER).leave();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.request().headers().set("A", "1"));
        assertTrue(e.getMessage().contains("no phase is running"), e.getMessage());
        assertEquals(Phase.REQUEST_FILTER, s.phase());
        s.header("A", "set-up"); // the test's own set-up is not an edit
        s.enter(Phase.UPSTREAM_PEER);
        s.request().headers().set("A", "edited");
        assertEquals("edited", s.request().headers().get("A"));
    }

    @Test
    void aPluginsAnswerIsReadOnly() {
        FakeSession s = FakeSession.get("/").answered(Response.status(429).header("Retry-After", "1").build(), "limiter");
        assertEquals(429, s.status());
        assertEquals("limiter", s.respondedBy());
        assertEquals("1", s.response().headers().get("retry-after"));
        assertFalse(s.response().fromBackend());
        s.enter(Phase.RESPONSE_FILTER);
        assertThrows(IllegalStateException.class, () -> s.response().setStatus(200));
        assertThrows(IllegalStateException.class, () -> s.response().headers().set("A", "b"));
    }

    @Test
    void theEndOfTheRequestAsATestStatesIt() {
        FakeSession s = FakeSession.get("/").peer(Peer.of("10.0.0.1", 80)).status(502).upstreamStatus(0).upstreamAttempts(3)
                .requestBodyBytes(7).responseBodyBytes(9).connectionRequestIndex(4);
        assertEquals("10.0.0.1:80", s.peer().address());
        assertEquals(502, s.status());
        assertEquals(3, s.upstreamAttempts());
        assertEquals(7, s.requestBodyBytes());
        assertEquals(9, s.responseBodyBytes());
        assertEquals(4, s.connectionRequestIndex());
        FakeEventLoop loop = new FakeEventLoop();
        assertTrue(s.executor(loop).executor() == loop);
        assertTrue(FakeSession.get("/").executor().inEventLoop(), "a loop of its own otherwise, on the test's thread");
    }
}
