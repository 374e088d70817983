package dev.turnpike.api.net;

import java.net.InetAddress;

/**
 * Run in a child JVM by {@link IpLiteralTest}: prints {@code <input> -> <address or null>} per
 * argument, parsed by {@link IpLiteral}; an argument starting with {@code =} is looked up by
 * {@link InetAddress#getByName} instead (to show the name service is the hosts file).
 */
public final class LookupProbe {

    private LookupProbe() {
    }

    public static void main(String[] args) throws Exception {
        for (String a : args) {
            InetAddress r = a.startsWith("=") ? InetAddress.getByName(a.substring(1)) : IpLiteral.parse(a);
            System.out.println(a + " -> " + (r == null ? "null" : r.getHostAddress()));
        }
    }
}
