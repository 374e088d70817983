package dev.turnpike.runtime.wire;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

/**
 * Removes the headers that belong to one connection and must not be forwarded (RFC 9110 §7.6.1):
 * the fixed set, and every header the Connection header names.
 */
public final class HopByHop {

    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");

    private static final AsciiString[] FIXED = {
        HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE, PROXY_CONNECTION, HttpHeaderNames.TE,
        HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE,
    };

    private HopByHop() {
    }

    /**
     * Whether {@code name} is one of the fixed hop-by-hop headers (or Expect, which the proxy
     * answers itself): a name a plugin may not send on, whatever it sets.
     */
    public static boolean isHopByHop(CharSequence name) {
        return isFixed(name) || HttpHeaderNames.EXPECT.contentEqualsIgnoreCase(name);
    }

    /**
     * Whether {@code name} is one of the fixed hop-by-hop headers. Asked for every field of every
     * response head the decoder parses, so the length decides before any comparison.
     */
    public static boolean isFixed(CharSequence name) {
        for (AsciiString h : FIXED) {
            if (h.length() == name.length() && h.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /** Strips hop-by-hop headers in place. */
    public static void strip(HttpHeaders headers) {
        if (headers.contains(HttpHeaderNames.CONNECTION)) {
            for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
                ConnectionTokens.forEachToken(value, name -> {
                    if (!name.equalsIgnoreCase("close") && !name.equalsIgnoreCase("keep-alive")) {
                        headers.remove(name);
                    }
                });
            }
        }
        for (AsciiString name : FIXED) {
            headers.remove(name);
        }
    }
}
