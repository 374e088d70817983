package dev.turnpike.runtime.wire;

/**
 * Header checks for what plugins write. The strict decoders refuse bad names and values on the way
 * in (and hand up headers Netty does not validate again); these hold a plugin's edits to the same
 * rules, so a plugin can never split a header or a message.
 */
public final class HeaderRules {

    private HeaderRules() {
    }

    /** Refuses a value with CR, LF or NUL (or a null value): such a value could split the message. */
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

    /** Refuses a name that is not an HTTP token (RFC 9110 §5.1), which could end the header line early. */
    public static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("empty header name");
        }
        for (int i = 0; i < name.length(); i++) {
            if (!isTokenChar(name.charAt(i))) {
                throw new IllegalArgumentException("header name '" + name + "' is not an HTTP token");
            }
        }
    }

    /** tchar: {@code !#$%&'*+-.^_`|~}, digits and letters. */
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
