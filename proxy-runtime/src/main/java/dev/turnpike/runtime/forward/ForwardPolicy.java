package dev.turnpike.runtime.forward;

import dev.turnpike.api.net.Cidr;
import dev.turnpike.runtime.config.ForwardProxySettings;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the forward proxy may reach: the ports a CONNECT may name, the host patterns a target must
 * match, and the networks no target may resolve into. Pure (no I/O), immutable, thread-safe. Each
 * check returns the reason for a refusal (a 403 the client reads), or {@code null} when it passes.
 *
 * <p>A host pattern is a host name written exactly ({@code api.example.com}, matched without regard
 * to case or a final dot), an IP literal, or {@code *.suffix}, which matches one or more labels
 * before the suffix ({@code *.example.com} matches {@code a.example.com} and {@code a.b.example.com},
 * not {@code example.com}). No pattern: any host is allowed that does not resolve into a denied
 * network. The unspecified addresses ({@code 0.0.0.0}, {@code ::}) and multicast are always refused,
 * whatever the list says: connecting to them reaches this machine, or nothing.
 */
public final class ForwardPolicy {

    private final Set<Integer> connectPorts;
    private final List<String> exact = new ArrayList<>();
    private final List<String> suffixes = new ArrayList<>();
    private final List<Cidr> deny = new ArrayList<>();

    public ForwardPolicy(ForwardProxySettings s) {
        this.connectPorts = Set.copyOf(s.connectPorts());
        for (String p : s.allow()) {
            String n = normalize(p);
            if (n.startsWith("*.")) {
                suffixes.add(n.substring(1)); // ".example.com"
            } else {
                exact.add(n);
            }
        }
        for (String d : s.denyNetworks()) {
            deny.add(Cidr.parse(d));
        }
    }

    /** Why {@code pattern} is no host pattern, or null when it is one (for the config check). */
    public static String patternProblem(String pattern) {
        String p = pattern == null ? "" : normalize(pattern);
        String host = p.startsWith("*.") ? p.substring(2) : p;
        if (host.isEmpty()) {
            return "'" + pattern + "' is not a host pattern (a host name, or *.suffix)";
        }
        if (host.indexOf('*') >= 0) {
            return "'" + pattern + "' has a '*' elsewhere than as its first label (write *.suffix)";
        }
        if (dev.turnpike.api.net.IpLiteral.parse(host) != null) {
            return p.startsWith("*.") ? "'" + pattern + "' puts a wildcard before an IP address" : null;
        }
        for (String label : host.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")
                    || !label.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                return "'" + pattern + "' is not a host pattern (labels of letters, digits and '-', or *.suffix)";
            }
        }
        return null;
    }

    /** Lower case, without a final dot. */
    static String normalize(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    /** A CONNECT's port (connect_ports). */
    public String refusePort(int port) {
        return connectPorts.contains(port) ? null : "CONNECT to port " + port + " is not allowed";
    }

    /** The target's host name, before it is resolved (allow). */
    public String refuseHost(String host) {
        if (exact.isEmpty() && suffixes.isEmpty()) {
            return null;
        }
        String h = normalize(host);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (exact.contains(h)) {
            return null;
        }
        for (String s : suffixes) {
            if (h.length() > s.length() && h.endsWith(s)) {
                return null;
            }
        }
        return host + " is not an allowed host";
    }

    /** One address the target resolved to (deny_networks). */
    public String refuseAddress(String host, InetAddress address) {
        if (address.isAnyLocalAddress() || address.isMulticastAddress()) {
            return host + " resolves to an address that cannot be proxied (" + address.getHostAddress() + ")";
        }
        for (Cidr c : deny) {
            if (c.contains(address)) {
                return host + " resolves to a denied network (" + c + ")";
            }
        }
        return null;
    }
}
