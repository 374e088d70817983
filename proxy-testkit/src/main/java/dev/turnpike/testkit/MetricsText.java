package dev.turnpike.testkit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The Prometheus text exposition the admin listener serves on {@code /metrics}, parsed into samples
 * to look up by name and labels. Immutable snapshot; any thread.
 */
public final class MetricsText {

    /** One sample line: {@code name{labels} value}. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final String text;
    private final List<Sample> samples;

    private MetricsText(String text, List<Sample> samples) {
        this.text = text;
        this.samples = List.copyOf(samples);
    }

    /**
     * Parses exposition text (comment lines skipped).
     *
     * @throws IllegalArgumentException naming the line that is not a sample
     */
    public static MetricsText parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            out.add(sample(line));
        }
        return new MetricsText(text, out);
    }

    /** The text as served. */
    public String text() {
        return text;
    }

    public List<Sample> samples() {
        return samples;
    }

    /**
     * The value of the sample {@code name} whose labels include {@code labels} (pairs: name, value,
     * name, value...); empty when none matches. With several matches, the first as served.
     */
    public OptionalDouble value(String name, String... labels) {
        if (labels.length % 2 != 0) {
            throw new IllegalArgumentException("labels come in name, value pairs");
        }
        for (Sample s : samples) {
            if (s.name().equals(name) && hasLabels(s, labels)) {
                return OptionalDouble.of(s.value());
            }
        }
        return OptionalDouble.empty();
    }

    /** As {@link #value}, 0 when no sample matches (a counter not yet incremented is often absent). */
    public double valueOrZero(String name, String... labels) {
        return value(name, labels).orElse(0);
    }

    private static boolean hasLabels(Sample s, String[] labels) {
        for (int i = 0; i < labels.length; i += 2) {
            if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
                return false;
            }
        }
        return true;
    }

    private static Sample sample(String line) {
        int brace = line.indexOf('{');
        int space;
        Map<String, String> labels = new LinkedHashMap<>();
        String name;
        if (brace >= 0 && brace < line.indexOf(' ')) {
            name = line.substring(0, brace);
            int end = labels(line, brace + 1, labels);
            space = end;
        } else {
            space = line.indexOf(' ');
            name = line.substring(0, space);
        }
        String rest = line.substring(space).trim();
        int tsSpace = rest.indexOf(' ');
        String value = tsSpace < 0 ? rest : rest.substring(0, tsSpace);
        try {
            return new Sample(name, labels, parseValue(value));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a metrics sample: " + line, e);
        }
    }

    /** Reads {@code a="x",b="y"} from {@code from}; returns the index after the closing brace. */
    private static int labels(String line, int from, Map<String, String> into) {
        int i = from;
        while (line.charAt(i) != '}') {
            int eq = line.indexOf('=', i);
            String key = line.substring(i, eq).trim();
            StringBuilder v = new StringBuilder();
            int j = eq + 2; // past ="
            while (line.charAt(j) != '"') {
                char c = line.charAt(j);
                if (c == '\\') {
                    char n = line.charAt(++j);
                    v.append(n == 'n' ? '\n' : n);
                } else {
                    v.append(c);
                }
                j++;
            }
            into.put(key, v.toString());
            i = j + 1;
            if (line.charAt(i) == ',') {
                i++;
            }
        }
        return i + 1;
    }

    private static double parseValue(String v) {
        return switch (v) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(v);
        };
    }
}
