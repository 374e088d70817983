package dev.turnpike.runtime.l4;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The two endpoints of a PROXY protocol header as raw address bytes, and the one family both are
 * written in. A header has a single family for both addresses, but a dual-stack listener can
 * report an IPv4 client as an IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}) next to a plain
 * IPv6 or IPv4 local address. Like HAProxy, we send IPv4 whenever both addresses are IPv4 or
 * IPv4-mapped (what the client really used), and IPv6 otherwise, an IPv4 address then being written
 * in its mapped form so that both are of one family.
 */
final class HeaderAddresses {

    /** The family a header is written in. */
    enum Family { UNKNOWN, TCP4, TCP6 }

    /** Where the IPv4 address sits in an IPv4-mapped IPv6 address. */
    private static final int MAPPED_OFFSET = 12;

    private HeaderAddresses() {
    }

    /**
     * The address's bytes (4 or 16, scope id dropped: it only means something on this host), or
     * {@code null} when there is nothing to send: no address, or a name that was never resolved.
     */
    static byte[] bytes(InetSocketAddress endpoint) {
        if (endpoint == null) {
            return null;
        }
        InetAddress ip = endpoint.getAddress();
        // The JDK hands out a copy of the address each time, and has no accessor that does not:
        // this array (4 or 16 bytes, once per endpoint) is the one allocation besides the output.
        return ip == null ? null : ip.getAddress();
    }

    static Family family(byte[] source, byte[] destination) {
        if (source == null || destination == null) {
            return Family.UNKNOWN;
        }
        return ipv4(source) && ipv4(destination) ? Family.TCP4 : Family.TCP6;
    }

    /** Whether the address can go as IPv4: an IPv4 address or an IPv4-mapped IPv6 one. */
    static boolean ipv4(byte[] address) {
        if (address.length == 4) {
            return true;
        }
        for (int i = 0; i < 10; i++) {
            if (address[i] != 0) {
                return false;
            }
        }
        return address[10] == (byte) 0xff && address[11] == (byte) 0xff;
    }

    /** Octet {@code i} (0 to 3) of an address {@link #ipv4} accepts. */
    static int octet(byte[] address, int i) {
        return address[address.length == 4 ? i : MAPPED_OFFSET + i] & 0xff;
    }

    /** Group {@code i} (0 to 7, 16 bits) of the address as IPv6: an IPv4 address in its mapped form. */
    static int group(byte[] address, int i) {
        if (address.length == 16) {
            return (address[2 * i] & 0xff) << 8 | address[2 * i + 1] & 0xff;
        }
        return switch (i) {
            case 5 -> 0xffff;
            case 6 -> (address[0] & 0xff) << 8 | address[1] & 0xff;
            case 7 -> (address[2] & 0xff) << 8 | address[3] & 0xff;
            default -> 0;
        };
    }
}
