package dev.turnpike.runtime.wire;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpVersion;
import java.util.function.Consumer;

/**
 * Reads the Connection header: whether its sender wants the connection kept (HTTP/1.1 unless it
 * says {@code close}, HTTP/1.0 only when it says {@code keep-alive}), and which other headers it
 * names. Scans in place: this runs on every message, and splitting allocates.
 */
public final class ConnectionTokens {

    private ConnectionTokens() {
    }

    public static boolean keepAlive(HttpMessage message) {
        String connection = message.headers().get(HttpHeaderNames.CONNECTION);
        boolean http11 = message.protocolVersion().equals(HttpVersion.HTTP_1_1);
        if (connection == null) {
            return http11;
        }
        if (has(connection, "close")) {
            return false;
        }
        return http11 || has(connection, "keep-alive");
    }

    /** Whether the comma-separated {@code list} holds {@code token} (case-insensitive). */
    public static boolean has(String list, String token) {
        return scan(list, (l, s, e) -> e - s == token.length() && l.regionMatches(true, s, token, 0, token.length()));
    }

    /** Calls {@code action} with each trimmed, non-empty element of a comma-separated list. */
    public static void forEachToken(String list, Consumer<String> action) {
        scan(list, (l, s, e) -> {
            action.accept(s == 0 && e == l.length() ? l : l.substring(s, e));
            return false;
        });
    }

    /** Visits the bounds of each trimmed, non-empty element until the visitor returns true. */
    private static boolean scan(String list, TokenVisitor visitor) {
        int start = 0;
        int n = list.length();
        while (start < n) {
            int comma = list.indexOf(',', start);
            int end = comma < 0 ? n : comma;
            int s = start;
            int e = end;
            while (s < e && list.charAt(s) <= ' ') {
                s++;
            }
            while (e > s && list.charAt(e - 1) <= ' ') {
                e--;
            }
            if (s < e && visitor.visit(list, s, e)) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    @FunctionalInterface
    private interface TokenVisitor {
        boolean visit(String list, int start, int end);
    }
}
