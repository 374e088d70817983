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

    @Test
    void aHistogramIsExportedAsPrometheusDoesAndItsBoundsAreChecked() {
        ProxyMetrics metrics = new ProxyMetrics();
        PluginMetrics m = metrics.pluginMetrics();
        double[] bounds = {0.001, 0.01, 0.1};
        m.histogram("demo_call_seconds", "help", bounds, "limiter").observe(0.005, "a");
        m.histogram("demo_call_seconds", "help", bounds, "limiter").observe(0.5, "a"); // a reload asks again
        var r = metrics.registry();
        String[] names = {"limiter", "le"};
        assertEquals(0.0, r.getSampleValue("turnpike_demo_call_seconds_bucket", names, new String[] {"a", "0.001"}));
        assertEquals(1.0, r.getSampleValue("turnpike_demo_call_seconds_bucket", names, new String[] {"a", "0.01"}));
        assertEquals(2.0, r.getSampleValue("turnpike_demo_call_seconds_bucket", names, new String[] {"a", "+Inf"}));
        assertEquals(2.0, r.getSampleValue("turnpike_demo_call_seconds_count", new String[] {"limiter"}, new String[] {"a"}));
        assertEquals(0.505, r.getSampleValue("turnpike_demo_call_seconds_sum", new String[] {"limiter"}, new String[] {"a"}), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> m.histogram("demo_call_seconds", "help", new double[] {1}, "limiter"),
                "other bounds under the same name");
        assertThrows(IllegalArgumentException.class, () -> m.histogram("demo_other_seconds", "help", new double[] {0.1, 0.01}));
        assertThrows(IllegalArgumentException.class, () -> m.histogram("demo_none_seconds", "help", new double[0]));
        m.forget("limiter", "a");
        assertEquals(null, r.getSampleValue("turnpike_demo_call_seconds_count", new String[] {"limiter"}, new String[] {"a"}));
    }
}
