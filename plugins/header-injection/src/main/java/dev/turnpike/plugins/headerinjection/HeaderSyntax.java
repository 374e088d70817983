package dev.turnpike.plugins.headerinjection;

import dev.turnpike.api.config.InvalidConfigException;
import java.util.Locale;
import java.util.Set;

/** The checks a configured header name or value must pass, each failing with its key and reason. */
final class HeaderSyntax {

    /** RFC 9110 §5.6.2 tchar, besides letters and digits. */
    private static final String TCHAR_SYMBOLS = "!#$%&'*+-.^_`|~";

    /**
     * Headers a configured edit may not touch: hop-by-hop ones (the runtime strips them on both
     * sides and owns the connection) and framing (the runtime recomputes it after the filters, so an
     * edit would be silently undone or, for a response, contradict the body).
     */
    private static final Set<String> RUNTIME_OWNED = Set.of(
            "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
            "content-length");

    private HeaderSyntax() {
    }

    /** A field name: a non-empty HTTP token, not one the runtime owns. */
    static void checkName(String name, String keyPath) {
        if (name.isEmpty()) {
            throw new InvalidConfigException(keyPath, "a header name cannot be empty");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!isTchar(c)) {
                throw new InvalidConfigException(keyPath, "'" + printable(name) + "' is not a valid header name: "
                        + describe(c) + " is not allowed (a name is letters, digits and " + TCHAR_SYMBOLS + ")");
            }
        }
        if (RUNTIME_OWNED.contains(name.toLowerCase(Locale.ROOT))) {
            throw new InvalidConfigException(keyPath, name + " is hop-by-hop or message framing, which the proxy"
                    + " runtime manages itself; it cannot be set, added or removed here");
        }
    }

    static boolean isTchar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || TCHAR_SYMBOLS.indexOf(c) >= 0;
    }

    /**
     * A field value (RFC 9110 §5.5): visible characters, space, tab and ISO-8859-1 letters; no CR,
     * LF or NUL (which would split or end the header) nor any other control character.
     */
    static void checkValue(String value, String keyPath) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                throw new InvalidConfigException(keyPath, "the value contains " + describe(c) + " at position " + i
                        + ": CR, LF and NUL are never allowed in a header value (they would split the header)");
            }
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                throw new InvalidConfigException(keyPath, "the value contains the control character " + describe(c)
                        + " at position " + i + " (only tab is allowed)");
            }
            if (c > 0xff) {
                throw new InvalidConfigException(keyPath, "the value contains " + describe(c) + " at position " + i
                        + ", outside ISO-8859-1: HTTP/1.1 cannot carry it");
            }
        }
    }

    private static String describe(char c) {
        switch (c) {
            case '\r': return "CR (\\r)";
            case '\n': return "LF (\\n)";
            case 0: return "NUL";
            case ' ': return "a space";
            case '\t': return "a tab";
            default:
                return c < 0x20 || c >= 0x7f ? String.format("U+%04X", (int) c) : "'" + c + "'";
        }
    }

    /** The name with control characters shown as escapes, for a message that stays on one line. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
