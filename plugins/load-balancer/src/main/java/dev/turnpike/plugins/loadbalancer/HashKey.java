package dev.turnpike.plugins.loadbalancer;

import dev.turnpike.api.ChainKind;
import dev.turnpike.api.ConnectionSession;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.plugins.loadbalancer.select.Hashing;
import java.net.InetSocketAddress;

/**
 * What consistent hashing hashes ({@code hash_key:}): {@code client_ip}, {@code path} (without the
 * query), or {@code header:<name>}. A request without the header hashes its client address, so
 * such requests still spread over the ring instead of all landing on one backend. A tcp chain
 * takes {@code client_ip} only: a connection has no path or headers the proxy reads.
 */
final class HashKey {

    private enum Source { CLIENT_IP, PATH, HEADER }

    private final Source source;
    private final String header;

    private HashKey(Source source, String header) {
        this.source = source;
        this.header = header;
    }

    static HashKey read(ConfigSection s, String key, ChainKind chain) {
        String text = s.string(key, "client_ip").trim();
        if (text.equals("client_ip")) {
            return new HashKey(Source.CLIENT_IP, null);
        }
        if (chain == ChainKind.TCP) {
            throw s.invalid(key, "a tcp listener has no path or headers to hash on; only client_ip, got '"
                    + text + "'");
        }
        if (text.equals("path")) {
            return new HashKey(Source.PATH, null);
        }
        if (text.startsWith("header:")) {
            String name = text.substring("header:".length()).trim();
            if (name.isEmpty() || !name.chars().allMatch(c -> c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0)) {
                throw s.invalid(key, "header:<name> needs a header name, got '" + text + "'");
            }
            return new HashKey(Source.HEADER, name);
        }
        throw s.invalid(key, "expected client_ip, path or header:<name>, got '" + text + "'");
    }

    /** The request's key, hashed. */
    long hash(Session session) {
        switch (source) {
            case PATH:
                return Hashing.hash64(session.request().path());
            case HEADER: {
                String v = session.request().headers().get(header);
                if (v != null) {
                    return Hashing.hash64(v);
                }
                return clientIp(session.clientAddress());
            }
            default:
                return clientIp(session.clientAddress());
        }
    }

    /** The connection's key, hashed: its client address ({@link #read} let no other key through). */
    long hash(ConnectionSession session) {
        return clientIp(session.clientAddress());
    }

    /**
     * The client address, hashed without formatting it: an IPv4 address is its own 32-bit
     * {@code hashCode}; an IPv6 one hashes its 16 bytes (collisions only cost evenness).
     */
    private static long clientIp(InetSocketAddress a) {
        return a == null || a.getAddress() == null ? 0 : Hashing.hash64(a.getAddress().hashCode());
    }
}
