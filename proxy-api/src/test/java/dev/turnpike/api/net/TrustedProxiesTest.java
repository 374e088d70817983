package dev.turnpike.api.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Headers;
import dev.turnpike.api.RequestHead;
import dev.turnpike.api.Session;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {

    private static final TrustedProxies LB = TrustedProxies.of(List.of("10.0.0.0/8", "fd00::/8"));

    private static InetAddress ip(String s) {
        return IpLiteral.parse(s);
    }

    private static String client(TrustedProxies t, String peer, String... xff) {
        return t.clientAddress(ip(peer), List.of(xff)).getHostAddress();
    }

    @Test
    void parsing() {
        assertTrue(TrustedProxies.none().isEmpty());
        assertTrue(TrustedProxies.of(List.of()).isEmpty());
        assertFalse(LB.isEmpty());
        assertTrue(LB.isTrusted(ip("10.9.9.9")));
        assertTrue(LB.isTrusted(ip("fd12::1")));
        assertFalse(LB.isTrusted(ip("11.0.0.1")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrustedProxies.of(List.of("10.0.0.0/8", "10.0.0.0/99")));
        assertTrue(e.getMessage().startsWith("[1]: "), e.getMessage());
    }

    @Test
    void theRightMostUntrustedEntryIsTheClient() {
        assertEquals("203.0.113.7", client(LB, "10.0.0.1", "203.0.113.7"));
        assertEquals("203.0.113.7", client(LB, "10.0.0.1", "198.51.100.1, 203.0.113.7"), "the left one is the client's say-so");
        assertEquals("203.0.113.7", client(LB, "10.0.0.1", "203.0.113.7, 10.0.0.2"), "through a chain of trusted hops");
        assertEquals("203.0.113.7", client(LB, "10.0.0.1", "6.6.6.6", "203.0.113.7, 10.0.0.2"), "across header lines");
        assertEquals("2001:db8:0:0:0:0:0:7", client(LB, "fd00::1", "2001:db8::7"));
        assertEquals("203.0.113.7", client(LB, "10.0.0.1", "[2001:db8::7], 203.0.113.7"));
    }

    @Test
    void whenEveryEntryIsTrustedTheLeftMostIsTheClient() {
        assertEquals("10.0.0.3", client(LB, "10.0.0.1", "10.0.0.3, 10.0.0.2"));
    }

    @Test
    void withoutTheHeaderTheTrustedPeerIsTheClient() {
        assertEquals("10.0.0.1", client(LB, "10.0.0.1"));
        assertEquals("10.0.0.1", client(LB, "10.0.0.1", ""));
    }

    @Test
    void anEntryThatIsNotAnAddressStopsTheWalkAtTheLastGoodOne() {
        assertEquals("10.0.0.2", client(LB, "10.0.0.1", "203.0.113.7, unknown, 10.0.0.2"));
        assertEquals("203.0.113.7", client(LB, "10.0.0.1", "203.0.113.7:4711"), "a port after the address is dropped");
        assertEquals("10.0.0.1", client(LB, "10.0.0.1", "203.0.113.7:port"), "but not just anything after a colon");
        assertEquals("10.0.0.1", client(LB, "10.0.0.1", "_hidden"));
    }

    @Test
    void theSessionFormTrustsTheHeaderOnlyFromATrustedPeer() {
        assertEquals("203.0.113.7", LB.clientAddress(session("10.0.0.1", "203.0.113.7")).getHostAddress());
        assertEquals("198.51.100.9", LB.clientAddress(session("198.51.100.9", "203.0.113.7")).getHostAddress(),
                "an untrusted peer's header is ignored");
        assertEquals("10.0.0.1", TrustedProxies.none().clientAddress(session("10.0.0.1", "203.0.113.7")).getHostAddress());
        InetAddress peer = ip("10.0.0.1");
        Session s = session("10.0.0.1", "203.0.113.7");
        assertSame(s.clientAddress().getAddress(), TrustedProxies.none().clientAddress(s));
        assertEquals(peer, TrustedProxies.none().clientAddress(s));
    }

    /** A session with this socket peer and X-Forwarded-For line; nothing else answers. */
    private static Session session(String peer, String xff) {
        InetSocketAddress address = new InetSocketAddress(ip(peer), 5555);
        Headers headers = (Headers) Proxy.newProxyInstance(Headers.class.getClassLoader(), new Class<?>[] {Headers.class},
                (p, m, a) -> {
                    if (m.getName().equals("getAll") && "x-forwarded-for".equalsIgnoreCase((String) a[0])) {
                        return List.of(xff);
                    }
                    if (m.getName().equals("getAll")) {
                        return List.of();
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        RequestHead request = (RequestHead) Proxy.newProxyInstance(RequestHead.class.getClassLoader(),
                new Class<?>[] {RequestHead.class}, (p, m, a) -> {
                    if (m.getName().equals("headers")) {
                        return headers;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        return (Session) Proxy.newProxyInstance(Session.class.getClassLoader(), new Class<?>[] {Session.class},
                (p, m, a) -> {
                    switch (m.getName()) {
                        case "clientAddress": return address;
                        case "request": return request;
                        default: throw new UnsupportedOperationException(m.getName());
                    }
                });
    }

    @Test
    void forwardedForEntriesWithAPortAreUnderstood() throws Exception {
        TrustedProxies trusted = TrustedProxies.of(java.util.List.of("127.0.0.1/32"));
        java.net.InetAddress peer = java.net.InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        org.junit.jupiter.api.Assertions.assertEquals("203.0.113.7",
                trusted.clientAddress(peer, java.util.List.of("198.51.100.1, 203.0.113.7:5678")).getHostAddress());
        org.junit.jupiter.api.Assertions.assertEquals("2001:db8:0:0:0:0:0:1",
                trusted.clientAddress(peer, java.util.List.of("[2001:db8::1]:443")).getHostAddress());
    }
}
