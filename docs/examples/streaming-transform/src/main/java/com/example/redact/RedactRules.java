package com.example.redact;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What to redact, compiled once at start and shared by every response (immutable, thread-safe):
 * the key names as their UTF-8 bytes (held as ISO-8859-1 strings, one char per byte, so a key read
 * off the wire is looked up without decoding it), and the JSON text that replaces a value.
 */
final class RedactRules {

    private final Set<String> keys;
    private final boolean ignoreCase;
    private final int longestKey;
    private final byte[] replacement;

    /**
     * @param keys        names of the members whose values are redacted, at any depth
     * @param ignoreCase  whether {@code Password} matches {@code password} (ASCII letters only)
     * @param replacement the text the value becomes, written as a JSON string
     */
    RedactRules(List<String> keys, boolean ignoreCase, String replacement) {
        Set<String> k = new HashSet<>();
        int longest = 0;
        for (String key : keys) {
            byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
            if (ignoreCase) {
                for (int i = 0; i < utf8.length; i++) {
                    utf8[i] = lowerAscii(utf8[i]);
                }
            }
            k.add(new String(utf8, StandardCharsets.ISO_8859_1));
            longest = Math.max(longest, utf8.length);
        }
        this.keys = Set.copyOf(k);
        this.ignoreCase = ignoreCase;
        this.longestKey = longest;
        this.replacement = jsonString(replacement).getBytes(StandardCharsets.UTF_8);
    }

    /** Whether the key held in {@code bytes[0..length)} (already lower-cased if so configured) is one to redact. */
    boolean matches(byte[] bytes, int length) {
        return keys.contains(new String(bytes, 0, length, StandardCharsets.ISO_8859_1));
    }

    boolean ignoreCase() {
        return ignoreCase;
    }

    /** The longest key, in bytes: a key read off the wire that grows past it cannot match. */
    int longestKey() {
        return longestKey;
    }

    /** The JSON text a redacted value becomes; do not change it. */
    byte[] replacement() {
        return replacement;
    }

    static byte lowerAscii(byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b + ('a' - 'A')) : b;
    }

    private static String jsonString(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
