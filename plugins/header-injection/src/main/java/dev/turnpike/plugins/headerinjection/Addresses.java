package dev.turnpike.plugins.headerinjection;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Addresses as they are written in forwarding headers. */
final class Addresses {

    private Addresses() {
    }

    /** The IP address of a socket address as text; its host string when it is unresolved. */
    static String text(InetSocketAddress socket) {
        InetAddress a = socket.getAddress();
        return a != null ? text(a) : socket.getHostString();
    }

    /**
     * An address as text: dotted IPv4, or IPv6 in the RFC 5952 form ({@code 2001:db8::1}, lower
     * case, longest zero run shortened, no zone), without brackets. The JDK's
     * {@link InetAddress#getHostAddress()} writes every group ({@code 0:0:0:0:0:0:0:1}) and the zone.
     */
    static String text(InetAddress address) {
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        byte[] b = address.getAddress();
        if (b.length != 16) {
            return address.getHostAddress();
        }
        // The longest run of two or more zero groups (the first of equal ones) becomes "::".
        int bestStart = -1;
        int bestLength = 1;
        for (int g = 0; g < 8; ) {
            if (group(b, g) != 0) {
                g++;
                continue;
            }
            int start = g;
            while (g < 8 && group(b, g) == 0) {
                g++;
            }
            if (g - start > bestLength) {
                bestStart = start;
                bestLength = g - start;
            }
        }
        StringBuilder s = new StringBuilder(39);
        for (int g = 0; g < 8; g++) {
            if (g == bestStart) {
                s.append("::");
                g += bestLength - 1;
                continue;
            }
            if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(group(b, g)));
        }
        return s.toString();
    }

    private static int group(byte[] b, int g) {
        return ((b[2 * g] & 0xff) << 8) | (b[2 * g + 1] & 0xff);
    }

    /**
     * The {@code for=} node of an RFC 7239 element: an IPv4 address as it is, an IPv6 address in
     * brackets and quotes ({@code "[2001:db8::1]"}), since {@code :} is not a token character.
     */
    static String forwardedNode(String ipText) {
        return ipText.indexOf(':') >= 0 ? "\"[" + ipText + "]\"" : ipText;
    }

    /** An RFC 7239 parameter value: as it is when it is a token, else a quoted string. */
    static String forwardedValue(String value) {
        boolean token = !value.isEmpty();
        for (int i = 0; i < value.length() && token; i++) {
            token = HeaderSyntax.isTchar(value.charAt(i));
        }
        if (token) {
            return value;
        }
        StringBuilder b = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.append('"').toString();
    }
}
