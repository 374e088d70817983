package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Peer;
import org.junit.jupiter.api.Test;

/**
 * An SNI name the JDK refuses (an underscore, an empty label) once got past Peer and threw inside
 * the TLS handler after its engine was made: a leaked native engine per attempt, blamed on the
 * connect. Peer now holds the name to the JDK's rule, and a fully qualified name's final dot is
 * dropped, as RFC 6066 asks.
 */
class ReviewSniNameTest {

    @Test
    void aNameTheJdkRefusesAsSniIsRefusedByPeer() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Peer.builder("127.0.0.1", 443).tls(true).sni("my_backend"));
        assertTrue(e.getMessage().contains("my_backend"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Peer.builder("127.0.0.1", 443).tls(true).sni("a..b"));
    }

    @Test
    void aFullyQualifiedNamesFinalDotIsNotSent() {
        Peer p = Peer.builder("127.0.0.1", 443).tls(true).sni("svc.cluster.local.").build();
        assertEquals("svc.cluster.local", p.serverName());
    }
}
