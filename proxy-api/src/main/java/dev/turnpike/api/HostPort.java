package dev.turnpike.api;

/**
 * A parsed {@code host:port} pair ({@code [v6]:port} for IPv6 literals), as written in
 * configuration. Parsing checks the shape and the port range; it resolves nothing.
 */
public record HostPort(String host, int port) {

    /**
     * @throws IllegalArgumentException with a reason fit for a config error message
     */
    public static HostPort parse(String text) {
        return parse(text, 1);
    }

    /** As {@link #parse}, but port 0 ("any free port", for a listener) is allowed. */
    public static HostPort parseAllowingPortZero(String text) {
        return parse(text, 0);
    }

    private static HostPort parse(String text, int minPort) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("expected host:port, got nothing");
        }
        String s = text.trim();
        String host;
        String portText;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + text + "' is not [ipv6]:port");
            }
            host = s.substring(1, close);
            portText = s.substring(close + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || s.indexOf(':') != colon) {
                throw new IllegalArgumentException("'" + text + "' is not host:port");
            }
            host = s.substring(0, colon);
            portText = s.substring(colon + 1);
        }
        if (host.isEmpty() || !host.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '.' || c == '-' || c == ':' || c == '_')) {
            throw new IllegalArgumentException("'" + text + "' has an invalid host");
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' has a port that is not a number");
        }
        if (port < minPort || port > 65535) {
            throw new IllegalArgumentException("'" + text + "' has port " + port + ", outside " + minPort + "..65535");
        }
        return new HostPort(host, port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
