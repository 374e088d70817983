package dev.turnpike.runtime.metrics;

import dev.turnpike.api.metrics.Counter;
import dev.turnpike.api.metrics.Gauge;
import dev.turnpike.api.metrics.Histogram;
import dev.turnpike.api.metrics.PluginMetrics;
import io.prometheus.client.CollectorRegistry;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@link PluginMetrics} on the runtime's Prometheus registry. A name asked for again returns the
 * series already registered (a reloaded plugin keeps counting where the old generation stopped);
 * asking with another type or other label names is refused, since it would be a different metric
 * under the same name.
 */
final class PrometheusPluginMetrics implements PluginMetrics {

    private final CollectorRegistry registry;
    private final UpstreamMetrics upstream;
    private final Map<String, Registered> byName = new HashMap<>();

    PrometheusPluginMetrics(CollectorRegistry registry, UpstreamMetrics upstream) {
        this.registry = registry;
        this.upstream = upstream;
    }

    @Override
    public void forget(String labelName, String value) {
        java.util.List<Registered> all;
        synchronized (this) {
            all = java.util.List.copyOf(byName.values());
        }
        for (Registered r : all) {
            Series.forget((io.prometheus.client.SimpleCollector<?>) r.collector(), java.util.List.of(r.labelNames()),
                    labelName, value);
        }
        if (labelName.equals("backend")) {
            upstream.forget(value);
        }
    }

    @Override
    public Counter counter(String name, String help, String... labelNames) {
        io.prometheus.client.Counter counter = getOrRegister(name, labelNames, io.prometheus.client.Counter.class,
                () -> io.prometheus.client.Counter.build().name(fullName(name)).help(help).labelNames(labelNames).register(registry));
        return new Counter() {
            @Override
            public void inc(String... labelValues) {
                counter.labels(labelValues).inc();
            }

            @Override
            public void add(double amount, String... labelValues) {
                counter.labels(labelValues).inc(amount);
            }
        };
    }

    @Override
    public Gauge gauge(String name, String help, String... labelNames) {
        io.prometheus.client.Gauge gauge = getOrRegister(name, labelNames, io.prometheus.client.Gauge.class,
                () -> io.prometheus.client.Gauge.build().name(fullName(name)).help(help).labelNames(labelNames).register(registry));
        return new Gauge() {
            @Override
            public void set(double value, String... labelValues) {
                gauge.labels(labelValues).set(value);
            }

            @Override
            public void inc(String... labelValues) {
                gauge.labels(labelValues).inc();
            }

            @Override
            public void dec(String... labelValues) {
                gauge.labels(labelValues).dec();
            }
        };
    }

    @Override
    public Histogram histogram(String name, String help, double[] buckets, String... labelNames) {
        double[] bounds = checkedBounds(name, buckets);
        io.prometheus.client.Histogram histogram = getOrRegister(name, labelNames, bounds, io.prometheus.client.Histogram.class,
                () -> io.prometheus.client.Histogram.build().name(fullName(name)).help(help).labelNames(labelNames)
                        .buckets(bounds).register(registry));
        return (value, labelValues) -> histogram.labels(labelValues).observe(value);
    }

    private static double[] checkedBounds(String name, double[] buckets) {
        if (buckets == null || buckets.length == 0) {
            throw new IllegalArgumentException("histogram " + name + ": no bucket bounds");
        }
        for (int i = 0; i < buckets.length; i++) {
            if (!Double.isFinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1])) {
                throw new IllegalArgumentException("histogram " + name + ": bounds must be finite and increasing: "
                        + Arrays.toString(buckets));
            }
        }
        return buckets.clone();
    }

    private <T> T getOrRegister(String name, String[] labelNames, Class<T> type, Supplier<T> register) {
        return getOrRegister(name, labelNames, null, type, register);
    }

    /** The collector registered under {@code name}, or a new one; another type, other labels or other bounds are refused. */
    private synchronized <T> T getOrRegister(String name, String[] labelNames, double[] buckets, Class<T> type,
                                             Supplier<T> register) {
        Registered r = byName.get(name);
        if (r == null) {
            T created = register.get();
            byName.put(name, new Registered(created, labelNames.clone(), buckets));
            return created;
        }
        if (!type.isInstance(r.collector()) || !Arrays.equals(r.labelNames(), labelNames) || !Arrays.equals(r.buckets(), buckets)) {
            throw new IllegalArgumentException("metric " + name + " is already registered as another type, with other labels"
                    + " or other buckets");
        }
        return type.cast(r.collector());
    }

    private record Registered(Object collector, String[] labelNames, double[] buckets) {
    }

    private static String fullName(String name) {
        return name.startsWith("turnpike_") ? name : "turnpike_" + name;
    }
}
