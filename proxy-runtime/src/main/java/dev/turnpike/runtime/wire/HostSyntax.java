package dev.turnpike.runtime.wire;

/**
 * Whether a Host value (or the authority of an absolute-form target) is {@code uri-host [ ":" port ]}
 * (RFC 9110 §7.2, RFC 3986 §3.2.2). Routing, virtual hosts and the logs all key on it, so a value a
 * backend would read as another host, or as no host, is refused rather than passed on. Userinfo is
 * refused with the rest: it has no place in a Host. So are an empty host and an empty port, as
 * nginx refuses them.
 */
public final class HostSyntax {

    private HostSyntax() {
    }

    public static boolean valid(CharSequence host) {
        int n = host.length();
        int i = 0;
        if (n > 0 && host.charAt(0) == '[') {
            int close = indexOf(host, ']');
            if (close < 0 || !ipv6(host, 1, close)) {
                return false;
            }
            i = close + 1;
        } else {
            while (i < n && regNameChar(host, i)) {
                i += host.charAt(i) == '%' ? 3 : 1;
            }
            if (i == 0) {
                return false; // no host at all: a proxy has nothing to route, log or forward
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

    private static int indexOf(CharSequence s, char c) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    /**
     * RFC 3986's IPv6address in {@code s[from, to)}: eight groups of one to four hex digits, or
     * fewer with one {@code ::}, the last two of which may be written as an IPv4 address.
     * IPvFuture and zone ids are not accepted.
     */
    static boolean ipv6(CharSequence s, int from, int to) {
        int groups = 0;
        boolean compressed = false;
        int i = from;
        if (to - from >= 2 && s.charAt(from) == ':' && s.charAt(from + 1) == ':') {
            compressed = true;
            i += 2;
            if (i == to) {
                return true;
            }
        }
        while (true) {
            int start = i;
            while (i < to && i - start < 5 && hex(s.charAt(i))) {
                i++;
            }
            if (i < to && s.charAt(i) == '.') {
                if (!ipv4(s, start, to)) {
                    return false;
                }
                groups += 2;
                break;
            }
            if (i == start || i - start > 4) {
                return false;
            }
            groups++;
            if (i == to) {
                break;
            }
            if (s.charAt(i) != ':' || ++i == to) {
                return false;
            }
            if (s.charAt(i) == ':') {
                if (compressed) {
                    return false;
                }
                compressed = true;
                if (++i == to) {
                    break;
                }
            }
        }
        return compressed ? groups <= 7 : groups == 8;
    }

    /** Four decimal octets, 0 to 255, without leading zeros. */
    private static boolean ipv4(CharSequence s, int from, int to) {
        int octets = 0;
        int i = from;
        while (true) {
            int start = i;
            int value = 0;
            while (i < to && i - start < 4 && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                value = value * 10 + (s.charAt(i++) - '0');
            }
            int len = i - start;
            if (len == 0 || len > 3 || value > 255 || (len > 1 && s.charAt(start) == '0')) {
                return false;
            }
            if (++octets == 4) {
                return i == to;
            }
            if (i == to || s.charAt(i) != '.') {
                return false;
            }
            i++;
        }
    }

    private static boolean port(CharSequence s, int from, int to) {
        if (to == from || to - from > 5) {
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
