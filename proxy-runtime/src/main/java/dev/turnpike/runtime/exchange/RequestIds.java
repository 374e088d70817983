package dev.turnpike.runtime.exchange;

/**
 * Which client-sent {@code X-Request-Id} values are kept: 1 to 128 characters of letters, digits
 * and {@code . _ : + / = -} (enough for UUIDs, ULIDs, base64 and the ids other proxies make).
 * Anything else, too long or with control characters or spaces, is replaced: the id ends up in log
 * lines and upstream headers, where a client must not be able to inject.
 */
final class RequestIds {

    /** The header that carries the id, upstream and back to the client. */
    static final io.netty.util.AsciiString HEADER = io.netty.util.AsciiString.cached("X-Request-Id");

    static final int MAX_LENGTH = 128;

    private RequestIds() {
    }

    static boolean wellFormed(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == ':' || c == '+' || c == '/' || c == '=' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
