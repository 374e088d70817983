package dev.turnpike.runtime.wire;

import dev.turnpike.api.HostPort;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;

/** The origin a forward request names: a CONNECT's authority, or an {@code http://} absolute-form target's. */
public final class ForwardTarget {

    private ForwardTarget() {
    }

    /** Whether {@code request} is one the forward proxy handles (a CONNECT, or an absolute-form target). */
    public static boolean isForward(HttpRequest request) {
        String uri = request.uri();
        return request.method().equals(HttpMethod.CONNECT) || uri.startsWith("http://") || isHttps(uri);
    }

    public static boolean isHttps(String uri) {
        return uri.regionMatches(true, 0, "https://", 0, 8);
    }

    /**
     * The target {@code request} names (host in lower case, without brackets), or {@code null} when
     * it is no forward request or its target is unusable: a CONNECT's {@code host:port} (the port
     * written out), or an {@code http://} target's authority (port 80 when none is written).
     */
    public static HostPort of(HttpRequest request) {
        String uri = request.uri();
        if (request.method().equals(HttpMethod.CONNECT)) {
            return authority(uri, -1);
        }
        if (!uri.startsWith("http://")) {
            return null;
        }
        int end = 7;
        while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
            end++;
        }
        return authority(uri.substring(7, end), 80);
    }

    static HostPort authority(String a, int defaultPort) {
        if (a.isEmpty() || !HostSyntax.valid(a)) {
            return null;
        }
        int close = a.startsWith("[") ? a.indexOf(']') : -1;
        int colon = a.indexOf(':', Math.max(close, 0));
        String text = a;
        if (colon < 0) {
            if (defaultPort < 0) {
                return null; // CONNECT names its port
            }
            text = a + ":" + defaultPort;
        }
        try {
            HostPort hp = HostPort.parse(text);
            // As the allow patterns are compared: lower case, without a final dot.
            String host = hp.host().toLowerCase(java.util.Locale.ROOT);
            return new HostPort(host.endsWith(".") ? host.substring(0, host.length() - 1) : host, hp.port());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
