package dev.turnpike.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.turnpike.api.metrics.PluginMetrics;
import org.junit.jupiter.api.Test;

/** A reloaded plugin asks for its metrics again: it must get the same series, not a registration error. */
class PrometheusPluginMetricsTest {

    @Test
    void aNameAskedForAgainCountsOnAndAConflictingOneIsRefused() {
        ProxyMetrics metrics = new ProxyMetrics();
        PluginMetrics generation1 = metrics.pluginMetrics();
        generation1.counter("demo_rejected_total", "help", "limiter").inc("a");
        PluginMetrics generation2 = metrics.pluginMetrics();
        generation2.counter("demo_rejected_total", "help", "limiter").add(2, "a");
        assertEquals(3.0, metrics.registry().getSampleValue("turnpike_demo_rejected_total",
                new String[] {"limiter"}, new String[] {"a"}));

        generation2.gauge("demo_keys", "help").set(7);
        assertEquals(7.0, metrics.registry().getSampleValue("turnpike_demo_keys"));

        assertThrows(IllegalArgumentException.class, () -> generation2.gauge("demo_rejected_total", "help", "limiter"));
        assertThrows(IllegalArgumentException.class, () -> generation2.counter("demo_rejected_total", "help", "other"));
    }
}
