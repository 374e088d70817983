package dev.turnpike.api.net;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Parses IP address literals and nothing else. {@link InetAddress#getByName} would resolve a name
 * through DNS, which blocks: on an event loop, with a header value a client chose, that must never
 * happen. Returns {@code null} for anything that is not a literal.
 */
public final class IpLiteral {

    private IpLiteral() {
    }

    /** The address written in {@code text} ({@code 1.2.3.4}, {@code ::1}, {@code [::1]}), or {@code null}. */
    public static InetAddress parse(String text) {
        if (text == null) {
            return null;
        }
        String s = text.trim();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        if (s.isEmpty()) {
            return null;
        }
        if (s.indexOf(':') >= 0) {
            return parseV6(s);
        }
        byte[] v4 = parseV4(s);
        if (v4 == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(v4);
        } catch (UnknownHostException impossible) {
            return null;
        }
    }

    private static byte[] parseV4(String s) {
        byte[] out = new byte[4];
        int part = 0;
        int value = -1;
        for (int i = 0; i <= s.length(); i++) {
            char c = i < s.length() ? s.charAt(i) : '.';
            if (c == '.') {
                if (value < 0 || part > 3) {
                    return null;
                }
                out[part++] = (byte) value;
                value = -1;
            } else if (c >= '0' && c <= '9') {
                value = value < 0 ? c - '0' : value * 10 + (c - '0');
                if (value > 255) {
                    return null;
                }
            } else {
                return null;
            }
        }
        return part == 4 ? out : null;
    }

    private static InetAddress parseV6(String s) {
        // The JDK takes text for an IPv6 literal only when it starts with a hex digit or ':'; anything
        // else with a colon in it would go to the resolver.
        char first = s.charAt(0);
        if (!(first == ':' || Character.digit(first, 16) >= 0)) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c == ':' || c == '.' || c == '%' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!ok) {
                return null;
            }
        }
        try {
            // With a colon in it, the JDK treats the text as an IPv6 literal and never asks DNS.
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
