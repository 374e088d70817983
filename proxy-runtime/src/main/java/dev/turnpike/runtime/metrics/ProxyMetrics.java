package dev.turnpike.runtime.metrics;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;

/**
 * The runtime's own counters, in a Prometheus registry of their own so that several servers in one
 * JVM (tests) do not share counts. Recording is a lock-free increment on a labelled child.
 */
public final class ProxyMetrics {

    private final CollectorRegistry registry = new CollectorRegistry(true);
    private final Counter pluginErrors = Counter.build()
            .name("turnpike_plugin_errors_total")
            .help("Requests failed by a plugin, by plugin and phase.")
            .labelNames("plugin", "phase")
            .register(registry);

    private final PrometheusPluginMetrics pluginMetrics = new PrometheusPluginMetrics(registry);

    public CollectorRegistry registry() {
        return registry;
    }

    /** The registry plugins register their own metrics in. */
    public dev.turnpike.api.metrics.PluginMetrics pluginMetrics() {
        return pluginMetrics;
    }

    /** A plugin threw (or broke its phase's contract) in {@code phase}. */
    public void pluginFailed(String pluginId, String phase) {
        pluginErrors.labels(pluginId, phase).inc();
    }

    /** How many times {@code pluginId} failed in {@code phase} so far. */
    public double pluginFailures(String pluginId, String phase) {
        return pluginErrors.labels(pluginId, phase).get();
    }
}
