package dev.turnpike.api.config;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Which known key an unknown one was probably meant to be: the closest by edit distance (a letter
 * added, dropped, changed, or two swapped), if close enough that a human would call it a typo. Pure
 * functions; any thread.
 */
final class KeyTypos {

    private KeyTypos() {
    }

    /** The candidate {@code unknown} is a typo of, or empty when none is close. */
    static Optional<String> closest(String unknown, Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            if (c.equals(unknown)) {
                continue;
            }
            int d = distance(unknown, c);
            if (d < bestDistance && isTypo(unknown, c, d)) {
                best = c;
                bestDistance = d;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * {unread key, the key it was meant to be} among {@code present} keys not in {@code read}: a typo
     * of {@code missing} (when not null) first, else a typo of any key that was read (asked for),
     * else empty.
     */
    static Optional<String[]> unreadTypo(Collection<String> present, Collection<String> read, String missing) {
        List<String> unread = present.stream().filter(u -> !read.contains(u)).toList();
        for (String u : unread) {
            if (missing != null && isTypo(u, missing)) {
                return Optional.of(new String[] {u, missing});
            }
        }
        for (String u : unread) {
            Optional<String> meant = closest(u, read);
            if (meant.isPresent()) {
                return Optional.of(new String[] {u, meant.get()});
            }
        }
        return Optional.empty();
    }

    /**
     * One edit for short keys, two from eight characters on: beyond that it is a different word. A key
     * of two letters is too short to tell a typo from another key ({@code id}, {@code ip}).
     */
    static boolean isTypo(String a, String b, int distance) {
        int shorter = Math.min(a.length(), b.length());
        return distance <= (shorter >= 8 ? 2 : 1) && shorter >= 3;
    }

    static boolean isTypo(String a, String b) {
        return isTypo(a, b, distance(a, b));
    }

    /** Optimal string alignment distance (Levenshtein with adjacent transpositions), case-insensitive. */
    static int distance(String a, String b) {
        String s = a.toLowerCase(java.util.Locale.ROOT);
        String t = b.toLowerCase(java.util.Locale.ROOT);
        int[][] d = new int[s.length() + 1][t.length() + 1];
        for (int i = 0; i <= s.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= t.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= s.length(); i++) {
            for (int j = 1; j <= t.length(); j++) {
                int cost = s.charAt(i - 1) == t.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && s.charAt(i - 1) == t.charAt(j - 2) && s.charAt(i - 2) == t.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[s.length()][t.length()];
    }
}
