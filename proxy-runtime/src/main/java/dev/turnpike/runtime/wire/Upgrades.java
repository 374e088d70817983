package dev.turnpike.runtime.wire;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * Whether a request asks to leave HTTP/1.1 on its connection (RFC 9110 §7.8): an {@code Upgrade}
 * field, named as a connection option in {@code Connection}, on an HTTP/1.1 request without a body.
 * A request with a body is not switched: the proxy would have to hold the bytes after it, which it
 * cannot tell from the body of a smuggled request (and h2c, the only such upgrade, is not carried).
 */
public final class Upgrades {

    private Upgrades() {
    }

    /** The protocols asked for (the {@code Upgrade} value), or {@code null} when this is no upgrade. */
    public static String requested(HttpHeaders headers) {
        String upgrade = headers.get(HttpHeaderNames.UPGRADE);
        if (upgrade == null || upgrade.isBlank() || headers.getAll(HttpHeaderNames.UPGRADE).size() != 1) {
            return null;
        }
        for (String connection : headers.getAll(HttpHeaderNames.CONNECTION)) {
            if (ConnectionTokens.has(connection, "upgrade")) {
                return upgrade.trim();
            }
        }
        return null;
    }
}
