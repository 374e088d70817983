package dev.turnpike.runtime.wire;

/**
 * Whether a Host value (or the authority of an absolute-form target) is {@code uri-host [ ":" port ]}
 * (RFC 9110 §7.2, RFC 3986 §3.2.2). Routing, virtual hosts and the logs all key on it, so a value a
 * backend would read as another host, or as no host, is refused rather than passed on. Userinfo is
 * refused with the rest: it has no place in a Host.
 */
public final class HostSyntax {

    private HostSyntax() {
    }

    public static boolean valid(CharSequence host) {
        int n = host.length();
        int i = 0;
        if (n > 0 && host.charAt(0) == '[') {
            i = 1;
            while (i < n && ipv6Char(host.charAt(i))) {
                i++;
            }
            if (i == 1 || i == n || host.charAt(i) != ']') {
                return false;
            }
            i++;
        } else {
            while (i < n && regNameChar(host, i)) {
                i += host.charAt(i) == '%' ? 3 : 1;
            }
        }
        if (i == n) {
            return true;
        }
        if (host.charAt(i) != ':') {
            return false;
        }
        return port(host, i + 1, n);
    }

    private static boolean port(CharSequence s, int from, int to) {
        if (to - from > 5) {
            return false;
        }
        int port = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
            port = port * 10 + (c - '0');
        }
        return port <= 65535;
    }

    private static boolean ipv6Char(char c) {
        return c == ':' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** unreserved, sub-delims, or a complete pct-encoded triplet. */
    private static boolean regNameChar(CharSequence s, int i) {
        char c = s.charAt(i);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            return true;
        }
        if (c == '%') {
            return i + 2 < s.length() && hex(s.charAt(i + 1)) && hex(s.charAt(i + 2));
        }
        return "-._~!$&'()*+,;=".indexOf(c) >= 0;
    }

    private static boolean hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}
