package dev.turnpike.api.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CidrTest {

    private static boolean in(String cidr, String address) {
        return Cidr.parse(cidr).contains(IpLiteral.parse(address));
    }

    @Test
    void ipv4Networks() {
        assertTrue(in("10.0.0.0/8", "10.0.0.0"));
        assertTrue(in("10.0.0.0/8", "10.255.255.255"));
        assertFalse(in("10.0.0.0/8", "11.0.0.0"));
        assertFalse(in("10.0.0.0/8", "9.255.255.255"));
        assertTrue(in("192.168.1.128/25", "192.168.1.200"));
        assertFalse(in("192.168.1.128/25", "192.168.1.127"));
        assertTrue(in("172.16.0.0/12", "172.31.255.255"));
        assertFalse(in("172.16.0.0/12", "172.32.0.0"));
    }

    @Test
    void hostBitsAreMaskedOff() {
        assertTrue(in("10.1.2.3/8", "10.200.0.1"));
    }

    @Test
    void aBareAddressIsOneHost() {
        assertTrue(in("127.0.0.1", "127.0.0.1"));
        assertFalse(in("127.0.0.1", "127.0.0.2"));
        assertTrue(in("::1", "::1"));
        assertFalse(in("::1", "::2"));
        assertTrue(in("127.0.0.1/32", "127.0.0.1"));
    }

    @Test
    void zeroPrefixHoldsItsWholeFamilyOnly() {
        assertTrue(in("0.0.0.0/0", "203.0.113.7"));
        assertFalse(in("0.0.0.0/0", "2001:db8::1"));
        assertTrue(in("::/0", "2001:db8::1"));
        assertFalse(in("::/0", "203.0.113.7"));
    }

    @Test
    void ipv6Networks() {
        assertTrue(in("2001:db8::/32", "2001:db8:ffff::1"));
        assertFalse(in("2001:db8::/32", "2001:db9::1"));
        assertTrue(in("fd00::/8", "fdff::1"));
        assertFalse(in("fd00::/8", "fe00::1"));
        assertTrue(in("2001:db8::/127", "2001:db8::1"));
        assertFalse(in("2001:db8::/127", "2001:db8::2"));
        assertTrue(in("[2001:db8::]/64", "2001:db8::5"), "brackets around the address");
    }

    @Test
    void anIpv4MappedClientIsMatchedAsIpv4() {
        assertTrue(in("192.0.2.0/24", "::ffff:192.0.2.9"));
    }

    @Test
    void refusals() {
        for (String bad : new String[] {"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/x", "2001:db8::/129",
                "example.com/24", "10.0.0.0/8/8", "10.0.0/8", "10.0.0.0/ 8"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cidr.parse(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), () -> bad + ": " + e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse(null));
    }

    @Test
    void toStringIsTheTextAsWritten() {
        assertEquals("10.0.0.0/8", Cidr.parse(" 10.0.0.0/8 ").toString());
        assertEquals("fd00::/8", Cidr.parse("fd00::/8").toString());
    }
}
