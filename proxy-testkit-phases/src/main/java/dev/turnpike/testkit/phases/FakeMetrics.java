package dev.turnpike.testkit.phases;

import dev.turnpike.api.metrics.Counter;
import dev.turnpike.api.metrics.Gauge;
import dev.turnpike.api.metrics.Histogram;
import dev.turnpike.api.metrics.PluginMetrics;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@link PluginMetrics} that remember what a plugin registered and recorded, with the runtime's
 * rules: a name asked for again returns the same series (so counts carry across instances sharing
 * one {@code FakeMetrics}, as across reloads), asking with another type or other label names is
 * refused, a name must be a Prometheus name, a recording must give one value per label name, and a
 * counter never goes down; each refusal is an {@link IllegalArgumentException}, as the runtime's.
 *
 * <p>Read back with {@link #value} (0 when nothing was recorded), {@link #find} (null then),
 * {@link #sets} (how many times a gauge series was set) and {@link #registered}. Names are the
 * plugin's, without the {@code turnpike_} prefix the runtime exports them with. Thread-safe.
 */
public final class FakeMetrics implements PluginMetrics {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    /** What a plugin registered under one name ({@code buckets}: a histogram's bounds, else empty). */
    public record Registration(String name, Kind kind, String help, List<String> labelNames, List<Double> buckets) {
        public Registration(String name, Kind kind, String help, List<String> labelNames) {
            this(name, kind, help, labelNames, List.of());
        }
    }

    /** The type of a metric. */
    public enum Kind { COUNTER, GAUGE, HISTOGRAM }

    private final Map<String, Registration> registrations = new HashMap<>();
    private final Map<String, Double> values = new HashMap<>();
    private final Map<String, Integer> sets = new HashMap<>();
    /** Each recorded series' label values, by its key. */
    private final Map<String, List<String>> labelsOf = new HashMap<>();
    private final List<String> forgotten = new java.util.ArrayList<>();

    /**
     * As the runtime's: drops every recorded series whose label {@code labelName} is {@code value},
     * and remembers the call ({@link #forgotten}), since the runtime's own per-backend series it
     * would also drop are not here.
     */
    @Override
    public synchronized void forget(String labelName, String value) {
        forgotten.add(labelName + "=" + value);
        for (java.util.Iterator<Map.Entry<String, List<String>>> it = labelsOf.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, List<String>> e = it.next();
            String name = e.getKey().substring(0, e.getKey().indexOf('['));
            Registration reg = registrations.get(name);
            for (String suffix : new String[] {"_count", "_sum", "_bucket"}) {
                if (reg == null && name.endsWith(suffix)) {
                    reg = registrations.get(name.substring(0, name.length() - suffix.length())); // a histogram's series
                }
            }
            int at = reg == null ? -1 : reg.labelNames().indexOf(labelName);
            if (at >= 0 && e.getValue().get(at).equals(value)) {
                values.remove(e.getKey());
                sets.remove(e.getKey());
                it.remove();
            }
        }
    }

    /** The {@link #forget} calls so far, as {@code label=value}, in order. */
    public synchronized List<String> forgotten() {
        return List.copyOf(forgotten);
    }

    @Override
    public Counter counter(String name, String help, String... labelNames) {
        Registration r = register(name, Kind.COUNTER, help, labelNames);
        return new Counter() {
            @Override
            public void inc(String... labelValues) {
                add(1, labelValues);
            }

            @Override
            public void add(double amount, String... labelValues) {
                if (amount < 0 || Double.isNaN(amount)) {
                    throw new IllegalArgumentException("counter " + name + ": cannot add " + amount + " (a counter only goes up)");
                }
                record(r, labelValues, amount, false);
            }
        };
    }

    @Override
    public Gauge gauge(String name, String help, String... labelNames) {
        Registration r = register(name, Kind.GAUGE, help, labelNames);
        return new Gauge() {
            @Override
            public void set(double value, String... labelValues) {
                record(r, labelValues, value, true);
            }

            @Override
            public void inc(String... labelValues) {
                record(r, labelValues, 1, false);
            }

            @Override
            public void dec(String... labelValues) {
                record(r, labelValues, -1, false);
            }
        };
    }

    /**
     * As the runtime's: bounds must be finite and increasing. An observation counts in
     * {@code <name>_count} and {@code <name>_sum} (read them with {@link #value}, the histogram's
     * label values) and in {@code <name>_bucket} with an {@code le} label value after them, for
     * every bound it is at or under and for {@code +Inf}.
     */
    @Override
    public Histogram histogram(String name, String help, double[] buckets, String... labelNames) {
        if (buckets == null || buckets.length == 0) {
            throw new IllegalArgumentException("histogram " + name + ": no bucket bounds");
        }
        List<Double> bounds = new java.util.ArrayList<>();
        for (int i = 0; i < buckets.length; i++) {
            if (!Double.isFinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1])) {
                throw new IllegalArgumentException("histogram " + name + ": bounds must be finite and increasing: "
                        + Arrays.toString(buckets));
            }
            bounds.add(buckets[i]);
        }
        Registration r = register(name, Kind.HISTOGRAM, help, labelNames, List.copyOf(bounds));
        return (value, labelValues) -> observe(r, value, labelValues);
    }

    private synchronized void observe(Registration r, double value, String[] labelValues) {
        Registration count = new Registration(r.name() + "_count", Kind.COUNTER, r.help(), r.labelNames());
        record(count, labelValues, 1, false);
        record(new Registration(r.name() + "_sum", Kind.COUNTER, r.help(), r.labelNames()), labelValues, value, false);
        List<String> withLe = new java.util.ArrayList<>(r.labelNames());
        withLe.add("le");
        Registration bucket = new Registration(r.name() + "_bucket", Kind.COUNTER, r.help(), withLe);
        String[] values = Arrays.copyOf(labelValues, labelValues.length + 1);
        for (double bound : r.buckets()) {
            if (value <= bound) {
                values[labelValues.length] = Double.toString(bound);
                record(bucket, values, 1, false);
            }
        }
        values[labelValues.length] = "+Inf";
        record(bucket, values, 1, false);
    }

    /** What was registered under {@code name}, or {@code null}. */
    public synchronized Registration registered(String name) {
        return registrations.get(name);
    }

    /** Every name registered. */
    public synchronized java.util.Set<String> names() {
        return java.util.Set.copyOf(registrations.keySet());
    }

    /** The value of the series {@code name} with these label values; 0 when nothing was recorded. */
    public double value(String name, String... labelValues) {
        Double v = find(name, labelValues);
        return v == null ? 0 : v;
    }

    /** The value of the series, or {@code null} when nothing was ever recorded on it. */
    public synchronized Double find(String name, String... labelValues) {
        return values.get(key(name, labelValues));
    }

    /** How many times the gauge series was {@link Gauge#set}; 0 when never. */
    public synchronized int sets(String name, String... labelValues) {
        return sets.getOrDefault(key(name, labelValues), 0);
    }

    private Registration register(String name, Kind kind, String help, String[] labelNames) {
        return register(name, kind, help, labelNames, List.of());
    }

    private synchronized Registration register(String name, Kind kind, String help, String[] labelNames, List<Double> buckets) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid metric name '" + name + "'");
        }
        for (String l : labelNames) {
            if (l == null || !NAME.matcher(l).matches() || l.startsWith("__")) {
                throw new IllegalArgumentException("metric " + name + ": invalid label name '" + l + "'");
            }
        }
        Registration known = registrations.get(name);
        if (known == null) {
            known = new Registration(name, kind, help, List.of(labelNames), buckets);
            registrations.put(name, known);
        } else if (known.kind() != kind || !known.labelNames().equals(List.of(labelNames)) || !known.buckets().equals(buckets)) {
            throw new IllegalArgumentException("metric " + name + " is already registered as another type, with other labels"
                    + " or other buckets");
        }
        return known;
    }

    private synchronized void record(Registration r, String[] labelValues, double amount, boolean replace) {
        if (labelValues.length != r.labelNames().size()) {
            throw new IllegalArgumentException("metric " + r.name() + ": labels " + r.labelNames() + " given "
                    + Arrays.toString(labelValues));
        }
        for (String v : labelValues) {
            if (v == null) {
                throw new IllegalArgumentException("metric " + r.name() + ": null label value");
            }
        }
        String k = key(r.name(), labelValues);
        labelsOf.putIfAbsent(k, List.of(labelValues));
        if (replace) {
            values.put(k, amount);
            sets.merge(k, 1, Integer::sum);
        } else {
            values.merge(k, amount, Double::sum);
        }
    }

    private static String key(String name, String... labelValues) {
        return name + Arrays.toString(labelValues);
    }
}
