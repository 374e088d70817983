package dev.turnpike.runtime.forward;

import dev.turnpike.runtime.config.HostPatterns;

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

    /** Why {@code pattern} is not a host pattern, or null; see {@link HostPatterns#problem}. */
    public static String patternProblem(String pattern) {
        return HostPatterns.problem(pattern);
    }

    static String normalize(String host) {
        return HostPatterns.normalize(host);
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
