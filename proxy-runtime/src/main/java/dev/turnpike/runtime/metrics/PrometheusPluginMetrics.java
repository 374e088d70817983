package dev.turnpike.runtime.metrics;

import dev.turnpike.api.metrics.Counter;
import dev.turnpike.api.metrics.Gauge;
import dev.turnpike.api.metrics.PluginMetrics;
import io.prometheus.client.CollectorRegistry;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link PluginMetrics} on the runtime's Prometheus registry. A name asked for again returns the
 * series already registered (a reloaded plugin keeps counting where the old generation stopped);
 * asking with another type or other label names is refused, since it would be a different metric
 * under the same name.
 */
final class PrometheusPluginMetrics implements PluginMetrics {

    private final CollectorRegistry registry;
    private final Map<String, Object> byName = new HashMap<>();
    private final Map<String, String[]> labelsByName = new HashMap<>();

    PrometheusPluginMetrics(CollectorRegistry registry) {
        this.registry = registry;
    }

    @Override
    public synchronized Counter counter(String name, String help, String... labelNames) {
        io.prometheus.client.Counter c = existing(name, io.prometheus.client.Counter.class, labelNames);
        if (c == null) {
            c = io.prometheus.client.Counter.build().name(fullName(name)).help(help).labelNames(labelNames).register(registry);
            remember(name, c, labelNames);
        }
        io.prometheus.client.Counter counter = c;
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
    public synchronized Gauge gauge(String name, String help, String... labelNames) {
        io.prometheus.client.Gauge g = existing(name, io.prometheus.client.Gauge.class, labelNames);
        if (g == null) {
            g = io.prometheus.client.Gauge.build().name(fullName(name)).help(help).labelNames(labelNames).register(registry);
            remember(name, g, labelNames);
        }
        io.prometheus.client.Gauge gauge = g;
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

    private <T> T existing(String name, Class<T> type, String[] labelNames) {
        Object o = byName.get(name);
        if (o == null) {
            return null;
        }
        if (!type.isInstance(o) || !Arrays.equals(labelsByName.get(name), labelNames)) {
            throw new IllegalArgumentException("metric " + name + " is already registered as another type or with other labels");
        }
        return type.cast(o);
    }

    private void remember(String name, Object collector, String[] labelNames) {
        byName.put(name, collector);
        labelsByName.put(name, labelNames.clone());
    }

    private static String fullName(String name) {
        return name.startsWith("turnpike_") ? name : "turnpike_" + name;
    }
}
