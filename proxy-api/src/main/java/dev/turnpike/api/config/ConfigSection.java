package dev.turnpike.api.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A typed, checked view of one mapping of a YAML configuration: the runtime reads its own settings
 * through it, and each plugin gets its chain entry's {@code config:} section as one.
 *
 * <p>Every accessor names the key's full path in its {@link InvalidConfigException}. Keys that were
 * never read are unknown: {@link #unreadKeys()} lists them, and the runtime refuses a configuration
 * that has any (a misspelt key is an error, not a silent default), with a "did you mean" when a key
 * that was asked for is close ({@link #unknownKey()}). A misspelt required key fails twice over (the
 * real key is missing, the typo unknown); {@link #misspeltKeyBehind} turns the first error into the
 * second, which names what to fix.
 *
 * <p>Values: durations as {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h} (a bare number is
 * seconds); sizes as a number of bytes or with {@code k}, {@code m}, {@code g} (powers of 1024).
 *
 * <p>Not thread-safe; read it in {@code start}, keep the typed values.
 */
public final class ConfigSection {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmg]?)b?", Pattern.CASE_INSENSITIVE);

    private final String path;
    private final Map<String, Object> values;
    private final Set<String> read = new TreeSet<>();
    private final List<ConfigSection> children = new ArrayList<>();

    private ConfigSection(String path, Map<String, Object> values) {
        this.path = path;
        this.values = values;
    }

    /** A section over a parsed YAML mapping; {@code path} is its place in the file ("" for the root). */
    public static ConfigSection of(String path, Map<?, ?> values) {
        Map<String, Object> copy = new LinkedHashMap<>();
        if (values != null) {
            for (Map.Entry<?, ?> e : values.entrySet()) {
                if (!(e.getKey() instanceof String)) {
                    throw new InvalidConfigException(join(path, String.valueOf(e.getKey())), "keys must be strings");
                }
                copy.put((String) e.getKey(), e.getValue());
            }
        }
        return new ConfigSection(path, copy);
    }

    /** An empty section (a chain entry without {@code config:}). */
    public static ConfigSection empty(String path) {
        return new ConfigSection(path, Map.of());
    }

    /** This section's path in the file ("" for the root). */
    public String path() {
        return path;
    }

    /** The full path of {@code key} in this section, for error messages. */
    public String keyPath(String key) {
        return join(path, key);
    }

    public boolean has(String key) {
        return values.containsKey(key) && values.get(key) != null;
    }

    /** Whether {@code key} holds a list (for a key that takes one value or a list of them). */
    public boolean isList(String key) {
        return values.get(key) instanceof List;
    }

    /** The keys present, in file order. */
    public Set<String> keys() {
        return Collections.unmodifiableSet(values.keySet());
    }

    /** An error about {@code key} of this section. */
    public InvalidConfigException invalid(String key, String reason) {
        return new InvalidConfigException(keyPath(key), reason);
    }

    // ---- scalars ----

    public String string(String key) {
        return string(required(key), key);
    }

    public String string(String key, String fallback) {
        return has(mark(key)) ? string(values.get(key), key) : fallback;
    }

    private String string(Object v, String key) {
        if (v instanceof String || v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        throw invalid(key, "expected a text value, got " + describe(v));
    }

    public int integer(String key, int fallback) {
        long v = longValue(key, fallback);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw invalid(key, v + " is out of range");
        }
        return (int) v;
    }

    public long longValue(String key, long fallback) {
        if (!has(mark(key))) {
            return fallback;
        }
        Object v = values.get(key);
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        throw invalid(key, "expected a whole number, got " + describe(v));
    }

    /** A whole number within {@code [min, max]}. */
    public int integer(String key, int fallback, int min, int max) {
        int v = integer(key, fallback);
        if (v < min || v > max) {
            throw invalid(key, v + " is outside " + min + ".." + max);
        }
        return v;
    }

    public double number(String key, double fallback) {
        if (!has(mark(key))) {
            return fallback;
        }
        Object v = values.get(key);
        if (v instanceof Number) {
            return ((Number) v).doubleValue();
        }
        throw invalid(key, "expected a number, got " + describe(v));
    }

    public boolean bool(String key, boolean fallback) {
        if (!has(mark(key))) {
            return fallback;
        }
        Object v = values.get(key);
        if (v instanceof Boolean) {
            return (Boolean) v;
        }
        throw invalid(key, "expected true or false, got " + describe(v));
    }

    /** A duration ({@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}; a bare number is seconds). */
    public Duration duration(String key, Duration fallback) {
        if (!has(mark(key))) {
            return fallback;
        }
        return parseDuration(values.get(key), keyPath(key));
    }

    /** A size in bytes ({@code 16384}, {@code 16k}, {@code 1m}, {@code 1g}). */
    public long size(String key, long fallback) {
        if (!has(mark(key))) {
            return fallback;
        }
        Object v = values.get(key);
        if (v instanceof Integer || v instanceof Long) {
            long n = ((Number) v).longValue();
            if (n < 0) {
                throw invalid(key, "a size cannot be negative");
            }
            return n;
        }
        Matcher m = v instanceof String ? SIZE.matcher(((String) v).trim()) : null;
        if (m == null || !m.matches()) {
            throw invalid(key, "expected a size such as 16384, 16k or 1m, got " + describe(v));
        }
        long n = Long.parseLong(m.group(1));
        switch (m.group(2).toLowerCase()) {
            case "k": return n << 10;
            case "m": return n << 20;
            case "g": return n << 30;
            default: return n;
        }
    }

    /** One of {@code allowed} (compared as written). */
    public String oneOf(String key, String fallback, String... allowed) {
        String v = string(key, fallback);
        for (String a : allowed) {
            if (a.equals(v)) {
                return v;
            }
        }
        throw invalid(key, "'" + v + "' is not one of " + String.join(", ", allowed));
    }

    // ---- structure ----

    /** A nested mapping (empty when absent). Its keys are checked with this section's. */
    public ConfigSection section(String key) {
        if (!has(mark(key))) {
            return child(ConfigSection.empty(keyPath(key)));
        }
        Object v = values.get(key);
        if (!(v instanceof Map)) {
            throw invalid(key, "expected a mapping, got " + describe(v));
        }
        return child(ConfigSection.of(keyPath(key), (Map<?, ?>) v));
    }

    /** A list of text values (empty when absent). */
    public List<String> strings(String key) {
        List<String> out = new ArrayList<>();
        List<?> list = list(key);
        for (int i = 0; i < list.size(); i++) {
            Object v = list.get(i);
            if (!(v instanceof String || v instanceof Number)) {
                throw new InvalidConfigException(keyPath(key) + "[" + i + "]", "expected a text value, got " + describe(v));
            }
            out.add(v.toString());
        }
        return out;
    }

    /** A list of mappings (empty when absent); element {@code i} has path {@code key[i]}. */
    public List<ConfigSection> sections(String key) {
        List<ConfigSection> out = new ArrayList<>();
        List<?> list = list(key);
        for (int i = 0; i < list.size(); i++) {
            Object v = list.get(i);
            String p = keyPath(key) + "[" + i + "]";
            if (!(v instanceof Map)) {
                throw new InvalidConfigException(p, "expected a mapping, got " + describe(v));
            }
            out.add(child(ConfigSection.of(p, (Map<?, ?>) v)));
        }
        return out;
    }

    /** The raw list under {@code key} (empty when absent), for element types this class lacks. */
    public List<?> list(String key) {
        if (!has(mark(key))) {
            return List.of();
        }
        Object v = values.get(key);
        if (!(v instanceof List)) {
            throw invalid(key, "expected a list, got " + describe(v));
        }
        return (List<?>) v;
    }

    /**
     * The keys of this section and of every nested section taken from it that were never read,
     * as full paths: unknown keys, to be refused.
     */
    public List<String> unreadKeys() {
        List<String> out = new ArrayList<>();
        for (String k : values.keySet()) {
            if (!read.contains(k)) {
                out.add(keyPath(k));
            }
        }
        for (ConfigSection c : children) {
            out.addAll(c.unreadKeys());
        }
        return out;
    }

    /**
     * The error for the first unread key (this section's, then its nested sections'), if any:
     * {@code <path>: unknown key <key>}, with {@code (did you mean <known>?)} when a key its section
     * was asked for is a likely typo of it.
     */
    public Optional<InvalidConfigException> unknownKey() {
        for (String k : values.keySet()) {
            if (!read.contains(k)) {
                Optional<String> meant = KeyTypos.closest(k, read);
                return Optional.of(invalid(k, "unknown key " + k + meant.map(m -> " (did you mean " + m + "?)").orElse("")));
            }
        }
        for (ConfigSection c : children) {
            Optional<InvalidConfigException> e = c.unknownKey();
            if (e.isPresent()) {
                return e;
            }
        }
        return Optional.empty();
    }

    /** Throws {@link #unknownKey()}'s error, if there is one. */
    public void refuseUnreadKeys() {
        Optional<InvalidConfigException> e = unknownKey();
        if (e.isPresent()) {
            throw e.get();
        }
    }

    /**
     * When {@code error} is about a key of a section (this one or one taken from it) that also holds
     * an unread key that is a likely typo of another key the section was asked for, or, when the key
     * of {@code error} is absent, of that key: the unknown-key error for the typo, which is the thing
     * to fix (a misspelt key fails twice over: the real key is missing, the typo unknown), ending
     * with {@code error}'s own words: {@code <typo's path>: unknown key refill_per_secnd (did you mean
     * refill_per_second?); as written, refill_per_second is missing (<reason>)}. Otherwise empty:
     * {@code error} stands. For the runtime, after a plugin's {@code start} threw.
     */
    public Optional<InvalidConfigException> misspeltKeyBehind(InvalidConfigException error) {
        String key = error.key();
        String prefix = path.isEmpty() ? "" : path + ".";
        if (key != null && key.startsWith(prefix)) {
            String k = key.substring(prefix.length());
            if (!k.isEmpty() && k.indexOf('.') < 0 && k.indexOf('[') < 0) {
                boolean absent = !has(k);
                Optional<String[]> typo = KeyTypos.unreadTypo(values.keySet(), read, absent ? k : null);
                if (typo.isPresent()) {
                    String[] t = typo.get();
                    return Optional.of(invalid(t[0], "unknown key " + t[0] + " (did you mean " + t[1] + "?); as written, "
                            + k + (absent ? " is missing (" : " is refused (") + error.reason() + ")"));
                }
            }
        }
        for (ConfigSection c : children) {
            Optional<InvalidConfigException> e = c.misspeltKeyBehind(error);
            if (e.isPresent()) {
                return e;
            }
        }
        return Optional.empty();
    }

    /**
     * What to report when a plugin's {@code start} threw {@code error} about this, its config
     * section: {@code error} with its key put under this section's path when the plugin built the
     * key by hand without it, or, when a typo is behind it, the typo's error
     * ({@link #misspeltKeyBehind}). For the runtime, and for test harnesses that refuse a plugin's
     * configuration the way the runtime does.
     */
    public InvalidConfigException startRefusal(InvalidConfigException error) {
        String key = error.key();
        InvalidConfigException placed = key != null
                && (key.equals(path) || key.startsWith(path + ".") || key.startsWith(path + "["))
                ? error : error.under(path);
        return misspeltKeyBehind(placed).orElse(placed);
    }

    /** The parsed values, as YAML gave them (for a plugin that walks its own structure). */
    public Map<String, Object> raw() {
        read.addAll(values.keySet());
        return Collections.unmodifiableMap(values);
    }

    /** Parses a duration written as in configuration ({@code 250ms}, {@code 5s}, ...). */
    public static Duration parseDuration(Object v, String keyPath) {
        if (v instanceof Integer || v instanceof Long) {
            long n = ((Number) v).longValue();
            if (n < 0) {
                throw new InvalidConfigException(keyPath, "a duration cannot be negative");
            }
            return Duration.ofSeconds(n);
        }
        Matcher m = v instanceof String ? DURATION.matcher(((String) v).trim()) : null;
        if (m == null || !m.matches()) {
            throw new InvalidConfigException(keyPath, "expected a duration such as 250ms, 5s or 2m, got " + describe(v));
        }
        double n = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        double millis;
        switch (unit) {
            case "ms": millis = n; break;
            case "m": millis = n * 60_000; break;
            case "h": millis = n * 3_600_000; break;
            default: millis = n * 1000;
        }
        return Duration.ofNanos(Math.round(millis * 1_000_000));
    }

    private Object required(String key) {
        if (!has(mark(key))) {
            throw invalid(key, "required");
        }
        return values.get(key);
    }

    private String mark(String key) {
        read.add(key);
        return key;
    }

    private ConfigSection child(ConfigSection c) {
        children.add(c);
        return c;
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static String describe(Object v) {
        if (v == null) {
            return "nothing";
        }
        if (v instanceof Map) {
            return "a mapping";
        }
        if (v instanceof List) {
            return "a list";
        }
        return "'" + v + "'";
    }
}
