package dev.turnpike.plugins.loadbalancer.health;

import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;
import java.util.ArrayList;
import java.util.List;

/**
 * A set of HTTP statuses as configured: single codes, inclusive ranges and classes, e.g.
 * {@code [200, 204]}, {@code 200-399} or {@code 5xx}. Immutable.
 */
public final class StatusRanges {

    /** No status at all. */
    public static final StatusRanges NONE = new StatusRanges(List.of());

    private final int[][] ranges;

    private StatusRanges(List<int[]> ranges) {
        this.ranges = ranges.toArray(new int[0][]);
    }

    /** The statuses {@code from..to}, inclusive. */
    public static StatusRanges of(int from, int to) {
        return new StatusRanges(List.<int[]>of(new int[] {from, to}));
    }

    public boolean contains(int status) {
        for (int[] r : ranges) {
            if (status >= r[0] && status <= r[1]) {
                return true;
            }
        }
        return false;
    }

    /**
     * Status codes and ranges: {@code 200-399}, {@code [200, 204]}, {@code 5xx}, or a list mixing
     * them; each within 100..599.
     */
    public static StatusRanges read(ConfigSection s, String key, String fallback) {
        List<String> items;
        if (!s.has(key)) {
            items = List.of(fallback);
        } else if (s.isList(key)) {
            items = s.strings(key);
        } else {
            items = List.of(s.string(key));
        }
        List<int[]> out = new ArrayList<>();
        for (String item : items) {
            out.add(range(s.keyPath(key), item.trim()));
        }
        if (out.isEmpty()) {
            throw s.invalid(key, "needs at least one status or range");
        }
        return new StatusRanges(out);
    }

    /**
     * As {@link #read}, for a key whose absence means no status at all; an empty list ({@code []})
     * says the same explicitly.
     */
    public static StatusRanges readOptional(ConfigSection s, String key) {
        if (!s.has(key) || s.isList(key) && s.strings(key).isEmpty()) {
            return NONE;
        }
        return read(s, key, null);
    }

    private static int[] range(String path, String text) {
        try {
            int from;
            int to;
            if (text.matches("[1-5][xX][xX]")) {
                from = (text.charAt(0) - '0') * 100;
                to = from + 99;
            } else if (text.contains("-")) {
                String[] parts = text.split("-", 2);
                from = Integer.parseInt(parts[0].trim());
                to = Integer.parseInt(parts[1].trim());
            } else {
                from = to = Integer.parseInt(text);
            }
            if (from < 100 || to > 599 || from > to) {
                throw new InvalidConfigException(path, "'" + text + "' is not a status range within 100..599");
            }
            return new int[] {from, to};
        } catch (NumberFormatException e) {
            throw new InvalidConfigException(path, "expected a status (503), a range (200-399) or a class (5xx), got '" + text + "'");
        }
    }

}
