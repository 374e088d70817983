package dev.turnpike.testkit.phases;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class FakeConnectionSessionTest {

    @Test
    void defaultsAndWhatATestStates() {
        FakeConnectionSession s = FakeConnectionSession.from("198.51.100.7");
        assertEquals(new InetSocketAddress("198.51.100.7", 40000), s.clientAddress());
        assertEquals(new InetSocketAddress("127.0.0.1", 9000), s.localAddress());
        assertEquals("test-listener", s.listener());
        assertNull(s.peer());
        assertFalse(s.relayed());
        assertNull(s.error());
        ProxyError refused = ProxyError.of(ErrorKind.CONNECT_REFUSED, "refused", null);
        s.listener("db").peer(Peer.of("10.0.0.1", 5432)).relayed(true).error(refused).rejected("acl", "not listed")
                .endReason("idle").upstreamAttempts(2).bytes(10, 20).endNanos(99).connectionId("c-1");
        assertEquals("db", s.listener());
        assertEquals("10.0.0.1:5432", s.peer().address());
        assertTrue(s.relayed());
        assertSame(refused, s.error());
        assertEquals("acl", s.rejectedBy());
        assertEquals("not listed", s.rejectReason());
        assertEquals("idle", s.endReason());
        assertEquals(2, s.upstreamAttempts());
        assertEquals(10, s.bytesFromClient());
        assertEquals(20, s.bytesToClient());
        assertEquals(99, s.endNanos());
        assertEquals("c-1", s.connectionId());
        FakeEventLoop loop = new FakeEventLoop();
        assertSame(loop, s.executor(loop).executor());
    }

    @Test
    void refusesANameForAnAddress() {
        assertThrows(IllegalArgumentException.class, () -> FakeConnectionSession.from("db.example"));
        assertNull(new FakeConnectionSession().clientAddress(null).clientAddress());
    }
}
