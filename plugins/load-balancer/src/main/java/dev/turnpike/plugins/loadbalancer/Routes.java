package dev.turnpike.plugins.loadbalancer;

import dev.turnpike.api.Session;
import dev.turnpike.api.config.ConfigSection;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which group a request goes to ({@code routes:} and {@code default_group:}): the first route whose
 * host and path prefix both match, else the default group, else none (the request is left to the
 * next plugin of {@code upstream_peer}, and gets 502 when none answers).
 *
 * <p>{@code host} matches the Host header without its port, case-insensitively; {@code *.example.com}
 * matches any subdomain. {@code path_prefix} matches whole segments: {@code /api} matches
 * {@code /api} and {@code /api/v1}, not {@code /apis}.
 */
final class Routes {

    private record Route(String host, boolean wildcard, String prefix, Group group) {
        boolean matches(String requestHost, String path) {
            if (host != null) {
                if (requestHost == null) {
                    return false;
                }
                if (wildcard ? !(requestHost.endsWith(host) && requestHost.length() > host.length())
                        : !requestHost.equals(host)) {
                    return false;
                }
            }
            if (prefix != null) {
                if (!path.startsWith(prefix)) {
                    return false;
                }
                int end = prefix.length();
                return prefix.endsWith("/") || path.length() == end || path.charAt(end) == '/';
            }
            return true;
        }
    }

    private final Route[] routes;
    private final Group fallback;

    private Routes(Route[] routes, Group fallback) {
        this.routes = routes;
        this.fallback = fallback;
    }

    /** One group for everything. */
    static Routes single(Group group) {
        return new Routes(new Route[0], group);
    }

    static Routes read(ConfigSection s, Map<String, Group> groups) {
        List<Route> out = new ArrayList<>();
        for (ConfigSection r : s.sections("routes")) {
            String groupName = r.string("group");
            Group g = groups.get(groupName);
            if (g == null) {
                throw r.invalid("group", "no group named '" + groupName + "' (groups: " + groups.keySet() + ")");
            }
            String host = r.string("host", null);
            boolean wildcard = false;
            if (host != null) {
                host = host.trim().toLowerCase(Locale.ROOT);
                if (host.startsWith("*.")) {
                    wildcard = true;
                    host = host.substring(1); // keep the dot: ".example.com"
                }
                if (host.isEmpty() || host.contains(":") && !host.startsWith("[")) {
                    throw r.invalid("host", "expected a host name without port, got '" + r.string("host") + "'");
                }
            }
            String prefix = r.string("path_prefix", null);
            if (prefix != null && !prefix.startsWith("/")) {
                throw r.invalid("path_prefix", "must start with /");
            }
            if (host == null && prefix == null) {
                throw r.invalid("group", "a route needs host, path_prefix or both (use default_group for the rest)");
            }
            out.add(new Route(host, wildcard, prefix, g));
        }
        Group fallback = null;
        String name = s.string("default_group", null);
        if (name != null) {
            fallback = groups.get(name);
            if (fallback == null) {
                throw s.invalid("default_group", "no group named '" + name + "' (groups: " + groups.keySet() + ")");
            }
        } else if (groups.size() == 1) {
            fallback = groups.values().iterator().next();
        }
        return new Routes(out.toArray(new Route[0]), fallback);
    }

    /**
     * The group of a request no route takes, or {@code null}; a tcp chain's one group (it has no
     * routes: a connection has no Host or path).
     */
    Group fallback() {
        return fallback;
    }

    /** The group for this request, or {@code null}. */
    Group groupFor(Session session) {
        if (routes.length == 0) {
            return fallback;
        }
        String host = hostOf(session.request().host());
        String path = session.request().path();
        for (Route r : routes) {
            if (r.matches(host, path)) {
                return r.group;
            }
        }
        return fallback;
    }

    private static String hostOf(String header) {
        if (header == null) {
            return null;
        }
        String h = header.trim();
        int end = h.startsWith("[") ? h.indexOf(']') + 1 : h.indexOf(':');
        if (end > 0 && end < h.length()) {
            h = h.substring(0, end);
        }
        return h.toLowerCase(Locale.ROOT);
    }
}
