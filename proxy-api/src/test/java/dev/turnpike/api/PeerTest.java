package dev.turnpike.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Peer's TLS settings: defaults, what equality (the pool key) covers, refusals, and the server name in force. */
class PeerTest {

    private static final Path CA = Path.of("/etc/turnpike/ca.pem");
    private static final Path CERT = Path.of("/etc/turnpike/client.pem");
    private static final Path KEY = Path.of("/etc/turnpike/client.key");

    private static Peer.Builder tls() {
        return Peer.builder("backend.test", 443).tls(true);
    }

    @Test
    void aPlainPeerHasNoTlsAndTheSecureDefaults() {
        Peer p = Peer.of("backend.test", 80);
        assertFalse(p.tls());
        assertNull(p.sni());
        assertTrue(p.verify());
        assertTrue(p.verifyHostname());
        assertNull(p.ca());
        assertNull(p.clientCertificate());
        assertNull(p.clientKey());
        assertEquals("http://backend.test:80", p.toString());
    }

    @Test
    void aTlsPeerVerifiesByDefault() {
        Peer p = tls().build();
        assertTrue(p.tls());
        assertTrue(p.verify());
        assertTrue(p.verifyHostname());
        assertNull(p.ca(), "the system trust store");
        assertEquals("https://backend.test:443", p.toString());
        assertEquals("backend.test:443", p.address());
    }

    @Test
    void everyTlsSettingTakesPartInEqualityAndTheHash() {
        Peer base = tls().build();
        Map<String, UnaryOperator<Peer.Builder>> changes = Map.of(
                "tls", b -> b.tls(false),
                "sni", b -> b.sni("other.test"),
                "verify", b -> b.verify(false),
                "verifyHostname", b -> b.verifyHostname(false),
                "ca", b -> b.ca(CA),
                "clientCertificate", b -> b.clientCertificate(CERT, KEY));
        changes.forEach((what, change) -> {
            Peer changed = change.apply(tls()).build();
            assertNotEquals(base, changed, what + " must make another peer");
            assertNotEquals(changed, base, what);
            Peer again = change.apply(tls()).build();
            assertEquals(changed, again, what + " built twice is the same peer");
            assertEquals(changed.hashCode(), again.hashCode(), what);
        });
    }

    @Test
    void theClientCertificateAndItsKeyEachCount() {
        Peer a = tls().clientCertificate(CERT, KEY).build();
        assertNotEquals(a, tls().clientCertificate(Path.of("/other.pem"), KEY).build());
        assertNotEquals(a, tls().clientCertificate(CERT, Path.of("/other.key")).build());
        assertNotEquals(tls().ca(CA).build(), tls().ca(Path.of("/other-ca.pem")).build());
        assertNotEquals(tls().sni("a.test").build(), tls().sni("b.test").build());
    }

    @Test
    void differentTlsSettingsGiveDifferentHashesHere() {
        // Not required by the contract, but a pool keyed on peers degrades when these collide.
        List<Peer> peers = List.of(tls().build(), tls().tls(false).build(), tls().sni("o.test").build(), tls().verify(false).build(),
                tls().verifyHostname(false).build(), tls().ca(CA).build(), tls().clientCertificate(CERT, KEY).build());
        assertEquals(peers.size(), peers.stream().map(Peer::hashCode).distinct().count());
    }

    @Test
    void timeoutsAreNotPartOfEquality() {
        Peer base = tls().ca(CA).build();
        Peer slow = tls().ca(CA).connectTimeout(Duration.ofSeconds(9)).readTimeout(Duration.ofMinutes(2)).build();
        assertEquals(base, slow);
        assertEquals(base.hashCode(), slow.hashCode());
    }

    @Test
    void toBuilderKeepsEverything() {
        Peer p = tls().sni("name.test").verifyHostname(false).ca(CA).clientCertificate(CERT, KEY)
                .connectTimeout(Duration.ofSeconds(3)).readTimeout(Duration.ofSeconds(4)).build();
        Peer copy = p.toBuilder().build();
        assertEquals(p, copy);
        assertEquals("name.test", copy.sni());
        assertFalse(copy.verifyHostname());
        assertEquals(CA, copy.ca());
        assertEquals(CERT, copy.clientCertificate());
        assertEquals(KEY, copy.clientKey());
        assertEquals(Duration.ofSeconds(3), copy.connectTimeout());
        assertEquals(Duration.ofSeconds(4), copy.readTimeout());
        Peer insecure = tls().verify(false).build().toBuilder().build();
        assertFalse(insecure.verify());
    }

    @Test
    void tlsSettingsWithoutTlsAreRefused() {
        Map<String, UnaryOperator<Peer.Builder>> settings = Map.of(
                "sni", b -> b.sni("a.test"),
                "verify", b -> b.verify(false),
                "verifyHostname", b -> b.verifyHostname(false),
                "ca", b -> b.ca(CA),
                "clientCertificate", b -> b.clientCertificate(CERT, KEY));
        settings.forEach((what, setting) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> setting.apply(Peer.builder("backend.test", 80)).build(), what);
            assertEquals("sni, verify, ca and client certificates need tls(true)", e.getMessage());
        });
        // The defaults written out are no TLS settings.
        Peer plain = Peer.builder("backend.test", 80).verify(true).verifyHostname(true).sni(null).ca(null).clientCertificate(null, null).build();
        assertEquals(Peer.of("backend.test", 80), plain);
        // tls(true) then tls(false) with a setting left: refused too.
        assertThrows(IllegalArgumentException.class, () -> tls().ca(CA).tls(false).build());
    }

    @Test
    void aClientCertificateNeedsItsKeyAndAKeyItsCertificate() {
        assertThrows(IllegalArgumentException.class, () -> tls().clientCertificate(CERT, null));
        assertThrows(IllegalArgumentException.class, () -> tls().clientCertificate(null, KEY));
    }

    @Test
    void sniMustBeAHostName() {
        for (String bad : new String[] {"", "10.0.0.1", "127.0.0.1", "::1", "2001:db8::1", "a b", "a/b", "tab\t.test", "caf\u00e9.test",
            "nul\0.test"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tls().sni(bad), "'" + bad + "'");
            assertTrue(e.getMessage().startsWith("sni must be a host name, got '" + bad + "'"), e.getMessage());
        }
        assertEquals("xn--caf-dma.test", tls().sni("xn--caf-dma.test").build().sni());
        assertEquals("a-1.example.com", tls().sni("a-1.example.com").build().sni());
    }

    @Test
    void theServerNameIsSniElseTheHostWhenItIsAName() {
        assertEquals("backend.test", tls().build().serverName());
        assertEquals("other.test", tls().sni("other.test").build().serverName());
        assertEquals("localhost", Peer.builder("localhost", 443).tls(true).build().serverName());
        assertNull(Peer.builder("10.0.0.1", 443).tls(true).build().serverName(), "no SNI for an IPv4 literal");
        assertNull(Peer.builder("2001:db8::1", 443).tls(true).build().serverName(), "nor for an IPv6 literal");
        assertEquals("named.test", Peer.builder("10.0.0.1", 443).tls(true).sni("named.test").build().serverName());
        assertEquals("named.test", Peer.builder("2001:db8::1", 443).tls(true).sni("named.test").build().serverName());
        assertEquals("[2001:db8::1]:443", Peer.builder("2001:db8::1", 443).tls(true).build().address());
    }

    @Test
    void theServerNameOfAPlainPeerIsTheHostToo() {
        // Only read with TLS, but defined for every peer.
        assertEquals("backend.test", Peer.of("backend.test", 80).serverName());
        assertNull(Peer.of("192.0.2.1", 80).serverName());
    }
}
