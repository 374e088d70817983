package dev.turnpike.api;

/**
 * The rules a plugin's edits to a message are held to: a header name or a method is an HTTP token
 * (RFC 9110 §5.6.2), a header value holds no CR, LF or NUL, a request target no space or control
 * character. Any of those could end a line early and split one message into two on the wire, so
 * the runtime checks every name and value a plugin sets, with these methods, and refuses the edit
 * with an {@link IllegalArgumentException}.
 *
 * <p>A plugin may call them itself to check input it builds a header from before it sets it (and
 * answer the client rather than fail the request). Pure functions: any thread, any time.
 */
public final class MessageSyntax {

    private MessageSyntax() {
    }

    /**
     * Refuses a header name that is not an HTTP token.
     *
     * @throws IllegalArgumentException for a null, empty or non-token name
     */
    public static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("empty header name");
        }
        if (!isToken(name)) {
            throw new IllegalArgumentException("header name '" + name + "' is not an HTTP token");
        }
    }

    /**
     * Refuses a header value with CR, LF or NUL, or a null one.
     *
     * @throws IllegalArgumentException naming the header {@code name}
     */
    public static void checkValue(String name, String value) {
        if (value == null) {
            throw new IllegalArgumentException("header " + name + ": null value");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                throw new IllegalArgumentException("header " + name + ": value contains CR, LF or NUL");
            }
        }
    }

    /**
     * A request method a plugin may set: an HTTP token (RFC 9110 §9.1).
     *
     * @return {@code method}
     * @throws IllegalArgumentException for a null, empty or non-token method
     */
    public static String checkMethod(String method) {
        if (method == null || method.isEmpty()) {
            throw new IllegalArgumentException("empty method");
        }
        if (!isToken(method)) {
            throw new IllegalArgumentException("method '" + method + "' is not an HTTP token");
        }
        return method;
    }

    /**
     * A request target a plugin may set: not empty, no space, control character or non-ASCII byte.
     *
     * @return {@code uri}
     * @throws IllegalArgumentException otherwise
     */
    public static String checkTarget(String uri) {
        if (uri == null || uri.isEmpty()) {
            throw new IllegalArgumentException("invalid request target: " + uri);
        }
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                throw new IllegalArgumentException("invalid request target: " + uri);
            }
        }
        return uri;
    }

    /** Whether {@code s} is a non-empty run of tchar. */
    public static boolean isToken(CharSequence s) {
        if (s.length() == 0) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!isTokenChar(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** tchar: {@code !#$%&'*+-.^_`|~}, digits and letters. */
    public static boolean isTokenChar(char c) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            return true;
        }
        return switch (c) {
            case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~' -> true;
            default -> false;
        };
    }
}
