package dev.turnpike.runtime.plugin;

import dev.turnpike.api.EventLoopExecutor;
import dev.turnpike.api.health.HealthProbes;
import dev.turnpike.api.metrics.PluginMetrics;
import java.util.function.Supplier;

/**
 * What the runtime lends every plugin instance through its {@link dev.turnpike.api.PluginContext}:
 * the metrics registry, an event loop for its own timers (the next loop in turn for each instance),
 * and the health probes.
 */
public record PluginServices(PluginMetrics metrics, Supplier<EventLoopExecutor> executors, HealthProbes probes) {

    /**
     * Services for a chain built without event loops (unit tests of the plugin host): asking for an
     * executor or the probes fails the plugin's start with a message that says why.
     */
    public static PluginServices withoutLoops(PluginMetrics metrics) {
        return new PluginServices(metrics, () -> {
            throw new IllegalStateException("no event loops in this context");
        }, null);
    }
}
