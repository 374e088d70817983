package dev.turnpike.plugins.headerinjection;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnpike.api.net.IpLiteral;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class AddressesTest {

    private static String text(String literal) {
        return Addresses.text(IpLiteral.parse(literal));
    }

    @Test
    void ipv4AsDottedQuad() {
        assertEquals("192.0.2.10", text("192.0.2.10"));
    }

    @Test
    void ipv6InTheShortestCanonicalForm() {
        assertEquals("::1", text("0:0:0:0:0:0:0:1"));
        assertEquals("::", text("::"));
        assertEquals("2001:db8::1", text("2001:0DB8:0000:0000:0000:0000:0000:0001"));
        assertEquals("1::", text("1:0:0:0:0:0:0:0"));
        assertEquals("fe80::1", text("fe80::1%1"), "no zone");
    }

    @Test
    void ipv6ShortensTheLongestZeroRunAndTheFirstOfEqualOnes() {
        assertEquals("2001:0:0:1::1", text("2001:0:0:1:0:0:0:1"));
        assertEquals("2001:db8::1:0:0:1", text("2001:db8:0:0:1:0:0:1"));
        assertEquals("2001:db8:0:1:1:1:1:1", text("2001:db8:0:1:1:1:1:1"), "a single zero group stays");
    }

    @Test
    void anUnresolvedSocketAddressGivesItsHostString() {
        assertEquals("some-host", Addresses.text(InetSocketAddress.createUnresolved("some-host", 80)));
        assertEquals("::1", Addresses.text(new InetSocketAddress(IpLiteral.parse("::1"), 80)));
    }

    @Test
    void forwardedNodeQuotesAndBracketsIpv6() {
        assertEquals("192.0.2.10", Addresses.forwardedNode("192.0.2.10"));
        assertEquals("\"[2001:db8::1]\"", Addresses.forwardedNode("2001:db8::1"));
    }

    @Test
    void forwardedValueQuotesWhatIsNotAToken() {
        assertEquals("example.com", Addresses.forwardedValue("example.com"));
        assertEquals("\"example.com:8080\"", Addresses.forwardedValue("example.com:8080"));
        assertEquals("\"[::1]:8080\"", Addresses.forwardedValue("[::1]:8080"));
        assertEquals("\"a\\\"b\\\\c\"", Addresses.forwardedValue("a\"b\\c"));
        assertEquals("\"\"", Addresses.forwardedValue(""));
    }
}
