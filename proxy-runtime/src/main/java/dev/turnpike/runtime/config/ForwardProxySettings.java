package dev.turnpike.runtime.config;

import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.net.Cidr;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code forward_proxy:} in the configuration file: the opt-in forward proxy (CONNECT tunnels and
 * absolute-form {@code http://} requests to the origin they name). Off by default; read at start
 * only (a reload that changes it says it needs a restart).
 *
 * @param enabled       {@code forward_proxy.enabled}: off, CONNECT is refused (405) and an
 *                      absolute-form target goes to the backend {@code upstream_peer} chooses
 * @param connectPorts  {@code forward_proxy.connect_ports}: the only ports a CONNECT may name
 * @param allow         {@code forward_proxy.allow}: host patterns, exact ({@code api.example.com})
 *                      or {@code *.suffix} (one or more labels before the suffix); empty: any host
 * @param denyNetworks  {@code forward_proxy.deny_networks}: networks no target may resolve into
 *                      (kept as written; the forward proxy's {@code ForwardPolicy} parses them)
 */
public record ForwardProxySettings(boolean enabled, List<Integer> connectPorts, List<String> allow, List<String> denyNetworks) {

    static final List<String> KEYS = List.of("enabled", "connect_ports", "allow", "deny_networks");

    /** Loopback, private, link-local and unique-local networks: what a forward proxy must not reach by default. */
    /**
     * The list, and the other ranges that reach this machine, a private network or a cloud's
     * metadata service: 0.0.0.0/8, CGNAT 100.64.0.0/10 (Tailscale peers, Alibaba Cloud's metadata),
     * the benchmarking 198.18.0.0/15, link-local fe80::/10, and the IPv6 forms that carry an IPv4
     * address to a gateway (NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16).
     */
    public static final List<String> DEFAULT_DENY = List.of("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
            "169.254.0.0/16", "::1/128", "fc00::/7", "0.0.0.0/8", "100.64.0.0/10", "198.18.0.0/15", "fe80::/10",
            "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16");

    public ForwardProxySettings {
        connectPorts = List.copyOf(connectPorts);
        allow = List.copyOf(allow);
        denyNetworks = List.copyOf(denyNetworks);
    }

    public static ForwardProxySettings defaults() {
        return new ForwardProxySettings(false, List.of(443), List.of(), DEFAULT_DENY);
    }

    static ForwardProxySettings read(ConfigSection s) {
        boolean enabled = s.bool("enabled", false);
        List<Integer> ports = new ArrayList<>();
        if (s.has("connect_ports")) {
            List<?> raw = s.list("connect_ports");
            for (int i = 0; i < raw.size(); i++) {
                Object v = raw.get(i);
                String key = s.keyPath("connect_ports") + "[" + i + "]";
                if (!(v instanceof Integer n)) {
                    throw new dev.turnpike.api.config.InvalidConfigException(key, "expected a port number, got '" + v + "'");
                }
                if (n < 1 || n > 65535) {
                    throw new dev.turnpike.api.config.InvalidConfigException(key, "port " + n + " is outside 1..65535");
                }
                ports.add(n);
            }
        } else {
            ports.add(443);
        }
        List<String> allow = s.strings("allow");
        for (int i = 0; i < allow.size(); i++) {
            String reason = HostPatterns.problem(allow.get(i));
            if (reason != null) {
                throw new dev.turnpike.api.config.InvalidConfigException(s.keyPath("allow") + "[" + i + "]", reason);
            }
        }
        List<String> deny = s.has("deny_networks") ? s.strings("deny_networks") : DEFAULT_DENY;
        for (int i = 0; i < deny.size(); i++) {
            try {
                Cidr.parse(deny.get(i));
            } catch (IllegalArgumentException e) {
                throw new dev.turnpike.api.config.InvalidConfigException(s.keyPath("deny_networks") + "[" + i + "]", e.getMessage());
            }
        }
        return new ForwardProxySettings(enabled, ports, allow, deny);
    }
}
