package dev.turnpike.plugins.ratelimit;

import dev.turnpike.api.metrics.Counter;
import dev.turnpike.api.metrics.Gauge;
import dev.turnpike.api.metrics.PluginMetrics;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;

/** {@link PluginMetrics} that remembers what was registered and recorded. Thread-safe. */
final class RecordingMetrics implements PluginMetrics {

    /** name → label names, in registration order of calls. */
    final Map<String, List<String>> registered = new ConcurrentHashMap<>();
    /** "name{v1,v2}" → value. */
    private final Map<String, DoubleAdder> values = new ConcurrentHashMap<>();

    @Override
    public Counter counter(String name, String help, String... labelNames) {
        registered.put(name, List.of(labelNames));
        return new Counter() {
            @Override
            public void inc(String... labelValues) {
                add(1, labelValues);
            }

            @Override
            public void add(double amount, String... labelValues) {
                check(labelNames, labelValues);
                slot(name, labelValues).add(amount);
            }
        };
    }

    @Override
    public Gauge gauge(String name, String help, String... labelNames) {
        registered.put(name, List.of(labelNames));
        return new Gauge() {
            @Override
            public void set(double value, String... labelValues) {
                check(labelNames, labelValues);
                DoubleAdder a = slot(name, labelValues);
                synchronized (a) {
                    a.reset();
                    a.add(value);
                }
            }

            @Override
            public void inc(String... labelValues) {
                slot(name, labelValues).add(1);
            }

            @Override
            public void dec(String... labelValues) {
                slot(name, labelValues).add(-1);
            }
        };
    }

    /** The value recorded for {@code name} with these label values (0 when none). */
    double value(String name, String... labelValues) {
        DoubleAdder a = values.get(name + Arrays.toString(labelValues));
        return a == null ? 0 : a.sum();
    }

    private DoubleAdder slot(String name, String... labelValues) {
        return values.computeIfAbsent(name + Arrays.toString(labelValues), k -> new DoubleAdder());
    }

    private static void check(String[] names, String[] values) {
        if (names.length != values.length) {
            throw new IllegalArgumentException("labels " + Arrays.toString(names) + " given " + Arrays.toString(values));
        }
    }
}
