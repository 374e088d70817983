package dev.turnpike.api.net;

import dev.turnpike.api.Session;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Who the client really is when the proxy sits behind other proxies: the socket peer, unless that
 * peer is trusted, in which case the right-most address of {@code X-Forwarded-For} that is not
 * itself trusted (nginx's {@code real_ip_recursive}). Entries left of an untrusted one are whatever
 * the client wrote and are never believed. Immutable and thread-safe; event-loop safe (no DNS).
 */
public final class TrustedProxies {

    private static final TrustedProxies NONE = new TrustedProxies(List.of());

    private final List<Cidr> networks;

    private TrustedProxies(List<Cidr> networks) {
        this.networks = List.copyOf(networks);
    }

    /** Trusts nobody: the client is always the socket peer. */
    public static TrustedProxies none() {
        return NONE;
    }

    /**
     * @param cidrs networks or single addresses
     * @throws IllegalArgumentException naming the bad entry (its index in the message)
     */
    public static TrustedProxies of(List<String> cidrs) {
        List<Cidr> parsed = new ArrayList<>();
        for (int i = 0; i < cidrs.size(); i++) {
            try {
                parsed.add(Cidr.parse(cidrs.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("[" + i + "]: " + e.getMessage(), e);
            }
        }
        return new TrustedProxies(parsed);
    }

    public boolean isEmpty() {
        return networks.isEmpty();
    }

    public boolean isTrusted(InetAddress address) {
        for (Cidr c : networks) {
            if (c.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /** The client's address for this request (see the class comment). */
    public InetAddress clientAddress(Session session) {
        InetAddress peer = session.clientAddress().getAddress();
        if (networks.isEmpty() || !isTrusted(peer)) {
            return peer;
        }
        return clientAddress(peer, session.request().headers().getAll("X-Forwarded-For"));
    }

    /**
     * The client's address given the socket peer (trusted) and the X-Forwarded-For header lines:
     * walking right to left, the first entry that is not trusted; an entry that is not an IP
     * literal stops the walk at the last good one.
     */
    public InetAddress clientAddress(InetAddress trustedPeer, List<String> forwardedFor) {
        InetAddress client = trustedPeer;
        for (int line = forwardedFor.size() - 1; line >= 0; line--) {
            String[] entries = forwardedFor.get(line).split(",");
            for (int i = entries.length - 1; i >= 0; i--) {
                InetAddress a = parseEntry(entries[i]);
                if (a == null) {
                    return client;
                }
                client = a;
                if (!isTrusted(a)) {
                    return a;
                }
            }
        }
        return client;
    }

    /**
     * An X-Forwarded-For entry: an address, or an address with a port as some load balancers write
     * it ({@code 1.2.3.4:5678}, {@code [2001:db8::1]:5678}).
     */
    private static InetAddress parseEntry(String entry) {
        InetAddress a = IpLiteral.parse(entry);
        if (a != null) {
            return a;
        }
        String e = entry.trim();
        int colon = e.lastIndexOf(':');
        if (colon > 0 && colon < e.length() - 1 && e.substring(colon + 1).chars().allMatch(Character::isDigit)) {
            String host = e.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]") || host.indexOf(':') < 0) {
                return IpLiteral.parse(host);
            }
        }
        return null;
    }
}
