package dev.turnpike.runtime.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Whether a message's sender wants its connection kept: HTTP/1.1 unless it says {@code close},
 * HTTP/1.0 only when it says {@code keep-alive}. Read before the hop-by-hop headers are stripped.
 */
final class ConnectionTokens {

    private ConnectionTokens() {
    }

    static boolean keepAlive(HttpMessage message) {
        String connection = message.headers().get(HttpHeaderNames.CONNECTION);
        boolean http11 = message.protocolVersion().equals(HttpVersion.HTTP_1_1);
        if (connection == null) {
            return http11;
        }
        boolean close = false;
        boolean keep = false;
        for (String token : connection.split(",")) {
            String t = token.trim();
            close |= t.equalsIgnoreCase("close");
            keep |= t.equalsIgnoreCase("keep-alive");
        }
        return !close && (http11 || keep);
    }
}
