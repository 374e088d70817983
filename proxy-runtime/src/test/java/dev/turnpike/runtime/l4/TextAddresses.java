package dev.turnpike.runtime.l4;

import dev.turnpike.runtime.l4.ProxyHeaderReader.MalformedHeader;

/**
 * The address and port fields of a v1 line, parsed by hand as strictly as the spec words them: the
 * JDK's own parsers accept more (IPv4 shorthands like {@code 127.1}, scope ids, dotted IPv6 tails),
 * which would let a wrong encoding through.
 */
final class TextAddresses {

    private TextAddresses() {
    }

    /** Exactly four decimal numbers 0 to 255, separated by single dots, without leading zeros. */
    static byte[] ipv4(String text) throws MalformedHeader {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new MalformedHeader("'" + text + "' is not an IPv4 address (four numbers separated by dots)");
        }
        byte[] address = new byte[4];
        for (int i = 0; i < 4; i++) {
            address[i] = (byte) decimal(parts[i], 255, "an IPv4 address part in '" + text + "'");
        }
        return address;
    }

    /**
     * Groups of one to four hex digits separated by colons, 8 of them, or fewer with one {@code ::}
     * standing for one or more zero groups.
     */
    static byte[] ipv6(String text) throws MalformedHeader {
        int gap = text.indexOf("::");
        if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
            throw new MalformedHeader("'" + text + "' has more than one '::'");
        }
        int[] head = gap < 0 ? groups(text, text) : groups(text.substring(0, gap), text);
        int[] tail = gap < 0 ? new int[0] : groups(text.substring(gap + 2), text);
        int given = head.length + tail.length;
        if (gap < 0 ? given != 8 : given > 7) {
            throw new MalformedHeader("'" + text + "' does not make 128 bits");
        }
        byte[] address = new byte[16];
        for (int i = 0; i < head.length; i++) {
            put(address, i, head[i]);
        }
        for (int i = 0; i < tail.length; i++) {
            put(address, 8 - tail.length + i, tail[i]);
        }
        return address;
    }

    /** A decimal number 0 to 65535 without leading zeros. */
    static int port(String text) throws MalformedHeader {
        return decimal(text, 65535, "a port");
    }

    private static int[] groups(String part, String whole) throws MalformedHeader {
        if (part.isEmpty()) {
            return new int[0];
        }
        String[] texts = part.split(":", -1);
        int[] groups = new int[texts.length];
        for (int i = 0; i < texts.length; i++) {
            String g = texts[i];
            int v = 0;
            for (int c = 0; c < g.length(); c++) {
                int d = Character.digit(g.charAt(c), 16);
                if (d < 0 || g.charAt(c) > 'f') { // Character.digit also takes non-ASCII digits
                    throw new MalformedHeader("'" + whole + "' is not colon-separated hex (the spec's IPv6 form)");
                }
                v = v << 4 | d;
            }
            if (g.isEmpty() || g.length() > 4) {
                throw new MalformedHeader("'" + whole + "' has a group that is not 1 to 4 hex digits");
            }
            groups[i] = v;
        }
        return groups;
    }

    private static void put(byte[] address, int group, int value) {
        address[2 * group] = (byte) (value >> 8);
        address[2 * group + 1] = (byte) value;
    }

    private static int decimal(String text, int max, String what) throws MalformedHeader {
        if (text.isEmpty() || text.length() > 5) {
            throw new MalformedHeader("'" + text + "' is not " + what);
        }
        if (text.length() > 1 && text.charAt(0) == '0') {
            throw new MalformedHeader("'" + text + "' has a leading zero (" + what + ")");
        }
        int v = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                throw new MalformedHeader("'" + text + "' is not " + what);
            }
            v = v * 10 + (c - '0');
        }
        if (v > max) {
            throw new MalformedHeader("'" + text + "' is over " + max + " (" + what + ")");
        }
        return v;
    }
}
