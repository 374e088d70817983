package dev.turnpike.testkit.phases;

/**
 * The checks the runtime applies to what a plugin writes into a message: a header name must be an
 * HTTP token, a value must hold no CR, LF or NUL (either could split the message), a method is a
 * token and a request target has no spaces or control characters. Same rules, same exception type
 * ({@link IllegalArgumentException}), so a plugin that passes here passes there.
 */
final class HeaderRules {

    private HeaderRules() {
    }

    static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("empty header name");
        }
        for (int i = 0; i < name.length(); i++) {
            if (!isTokenChar(name.charAt(i))) {
                throw new IllegalArgumentException("header name '" + name + "' is not an HTTP token");
            }
        }
    }

    static void checkValue(String name, String value) {
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

    static String checkMethod(String method) {
        if (method == null || method.isEmpty()) {
            throw new IllegalArgumentException("empty method");
        }
        for (int i = 0; i < method.length(); i++) {
            if (!isTokenChar(method.charAt(i))) {
                throw new IllegalArgumentException("method '" + method + "' is not an HTTP token");
            }
        }
        return method;
    }

    static String checkTarget(String uri) {
        if (uri == null || uri.isEmpty() || uri.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
            throw new IllegalArgumentException("invalid request target: " + uri);
        }
        return uri;
    }

    /** Throws the reason {@code whyReadOnly} gives, when it gives one: an edit out of its phase. */
    static void checkEditable(java.util.function.Supplier<String> whyReadOnly) {
        String why = whyReadOnly.get();
        if (why != null) {
            throw new IllegalStateException(why);
        }
    }

    /** tchar (RFC 9110 §5.6.2): {@code !#$%&'*+-.^_`|~}, digits and letters. */
    static boolean isTokenChar(char c) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            return true;
        }
        return switch (c) {
            case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~' -> true;
            default -> false;
        };
    }
}
