package dev.turnpike.runtime.http;

/**
 * Header checks Netty's own validation leaves out. Netty refuses bad names and CR/LF that would
 * end a header line, but not every control character a plugin might put in a value.
 */
final class HeaderRules {

    private HeaderRules() {
    }

    /** Refuses a value with CR, LF or NUL (or a null value): such a value could split the message. */
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
}
