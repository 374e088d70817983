package dev.turnpike.runtime.metrics;

import dev.turnpike.api.metrics.Counter;
import dev.turnpike.api.metrics.Gauge;
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

    /** The collector registered under {@code name}, or a new one; another type or other labels are refused. */
    private synchronized <T> T getOrRegister(String name, String[] labelNames, Class<T> type, Supplier<T> register) {
        Registered r = byName.get(name);
        if (r == null) {
            T created = register.get();
            byName.put(name, new Registered(created, labelNames.clone()));
            return created;
        }
        if (!type.isInstance(r.collector()) || !Arrays.equals(r.labelNames(), labelNames)) {
            throw new IllegalArgumentException("metric " + name + " is already registered as another type or with other labels");
        }
        return type.cast(r.collector());
    }

    private record Registered(Object collector, String[] labelNames) {
    }

    private static String fullName(String name) {
        return name.startsWith("turnpike_") ? name : "turnpike_" + name;
    }
}
