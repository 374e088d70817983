package dev.turnpike.runtime.config;

import java.util.Locale;

/**
 * The host patterns of {@code forward_proxy.allow}: a host name, or {@code *.suffix} for any name
 * under it. Checked here, where the configuration is read; matched by the forward proxy's policy.
 */
public final class HostPatterns {

    private HostPatterns() {
    }

    /** Why {@code pattern} is no host pattern, or null when it is one (for the config check). */
    public static String problem(String pattern) {
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
    public static String normalize(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

}
