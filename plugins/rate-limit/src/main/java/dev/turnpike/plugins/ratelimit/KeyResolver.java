package dev.turnpike.plugins.ratelimit;

import dev.turnpike.api.Session;
import dev.turnpike.api.net.TrustedProxies;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Turns a request into the key it is counted under, or {@code null} when this limiter does not
 * apply to it. Immutable; event-loop safe (no DNS: addresses come from the socket and from
 * {@link TrustedProxies}, which parses literals only).
 *
 * <p>Key strings, as they appear in the log:
 * <ul>
 *   <li>{@code ip}: the client address, {@code 203.0.113.7}; an IPv6 client is counted with the
 *       rest of its {@code ipv6_prefix} network, {@code 2001:db8:1:2:0:0:0:0/64};</li>
 *   <li>{@code header}: {@code appid:<value>} (a value longer than {@value #MAX_VALUE_CHARS}
 *       characters is replaced by {@code sha256:<its hash>}, so a key's size is bounded); a request
 *       without the header (or with an empty one) follows {@code missing_key}: not counted
 *       ({@code allow}), the one shared key {@code (no appid)} ({@code shared}), or its client address
 *       as with {@code key: ip} ({@code ip});</li>
 *   <li>{@code ip_path}: {@code <client address> <prefix>}, e.g. {@code 203.0.113.7 /login}; a path
 *       under none of the prefixes is not counted.</li>
 * </ul>
 */
final class KeyResolver {

    /** Longer header values are hashed: the table's memory per key stays bounded. */
    static final int MAX_VALUE_CHARS = 128;

    private final Settings.KeyKind kind;
    private final String header;
    private final Settings.Missing missing;
    private final String sharedKey;
    private final PathPrefixes prefixes;
    private final TrustedProxies trusted;
    private final int ipv6Prefix;

    KeyResolver(Settings s) {
        this.kind = s.key;
        this.header = s.header;
        this.missing = s.missingKey;
        this.sharedKey = s.header == null ? null : "(no " + s.header + ")";
        this.prefixes = s.pathPrefixes;
        this.trusted = s.trustedProxies;
        this.ipv6Prefix = s.ipv6Prefix;
    }

    /** The key of this request, or {@code null}: not limited here. */
    String keyFor(Session session) {
        switch (kind) {
            case HEADER: {
                String v = session.request().headers().get(header);
                if (v != null) {
                    v = v.trim();
                }
                if (v == null || v.isEmpty()) {
                    switch (missing) {
                        case ALLOW: return null;
                        case SHARED: return sharedKey;
                        default: return clientKey(session);
                    }
                }
                return header + ":" + (v.length() > MAX_VALUE_CHARS ? sha256(v) : v);
            }
            case IP_PATH: {
                String prefix = prefixes.match(session.request().path());
                return prefix == null ? null : clientKey(session) + " " + prefix;
            }
            default:
                return clientKey(session);
        }
    }

    /** The client's address as a key (see the class comment). */
    String clientKey(Session session) {
        InetSocketAddress peer = session.clientAddress();
        if (peer == null || peer.getAddress() == null) {
            return "(unknown client)";
        }
        InetAddress client = trusted.clientAddress(session);
        if (client instanceof Inet6Address && ipv6Prefix < 128) {
            return network((Inet6Address) client, ipv6Prefix);
        }
        return client.getHostAddress();
    }

    private static String network(Inet6Address a, int prefix) {
        byte[] b = a.getAddress();
        for (int i = 0; i < b.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            b[i] &= (byte) (0xff << (8 - bits));
        }
        try {
            // getByAddress with 16 bytes builds the address without any look-up; no scope: the
            // same network reached through two interfaces is one client.
            return InetAddress.getByAddress(b).getHostAddress() + "/" + prefix;
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static String sha256(String value) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            return "sha256:" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
