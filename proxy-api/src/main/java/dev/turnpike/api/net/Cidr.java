package dev.turnpike.api.net;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * An IP network written as {@code address/prefix} ({@code 10.0.0.0/8}, {@code fd00::/8}); a bare
 * address is a single host. Immutable and thread-safe.
 */
public final class Cidr {

    private final byte[] network;
    private final int prefix;
    private final String text;
    private final int v4Network;
    private final int v4Mask;

    private Cidr(byte[] network, int prefix, String text) {
        this.network = network;
        this.prefix = prefix;
        this.text = text;
        this.v4Mask = network.length == 4 && prefix > 0 ? -1 << (32 - prefix) : 0;
        this.v4Network = network.length == 4
                ? ((network[0] & 0xff) << 24 | (network[1] & 0xff) << 16 | (network[2] & 0xff) << 8 | (network[3] & 0xff)) : 0;
    }

    /**
     * @throws IllegalArgumentException with the reason, for a config error message
     */
    public static Cidr parse(String text) {
        String s = text == null ? "" : text.trim();
        int slash = s.indexOf('/');
        InetAddress address = IpLiteral.parse(slash < 0 ? s : s.substring(0, slash));
        if (address == null) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address or network (a.b.c.d/n)");
        }
        byte[] bytes = address.getAddress();
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            String digits = s.substring(slash + 1);
            try {
                if (digits.isEmpty() || !digits.chars().allMatch(Character::isDigit)) {
                    throw new NumberFormatException(digits);
                }
                prefix = Integer.parseInt(digits);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' has a prefix length that is not a number");
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException("'" + text + "' has a prefix length outside 0.." + max);
            }
        }
        return new Cidr(mask(bytes, prefix), prefix, s);
    }

    /** Whether {@code address} is inside this network (an IPv4 address is never inside an IPv6 one). */
    public boolean contains(InetAddress address) {
        if (address instanceof Inet4Address) {
            // An Inet4Address's hash code is its address: no array copy on the per-request path.
            return network.length == 4 && (address.hashCode() & v4Mask) == v4Network;
        }
        if (network.length != 16) {
            return false;
        }
        byte[] a = address.getAddress();
        for (int i = 0; i < 16; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            if (((a[i] ^ network[i]) & (0xff << (8 - bits)) & 0xff) != 0) {
                return false;
            }
        }
        return true;
    }

    private static byte[] mask(byte[] bytes, int prefix) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] &= (byte) (0xff << (8 - bits));
        }
        return out;
    }

    @Override
    public String toString() {
        return text;
    }
}
