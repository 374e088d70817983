package dev.turnpike.runtime.plugin;

import dev.turnpike.api.PluginContext;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.metrics.PluginMetrics;

/**
 * The {@link PluginContext} one instance gets at start: its identity, the metrics registry, and its
 * own, fresh config section (whose reads are tracked for that instance alone). Immutable apart from the section's
 * read tracking; handed to {@code start()} on the management thread.
 */
record StartContext(String pluginId, String pluginVersion, ConfigSection config, PluginMetrics metrics)
        implements PluginContext {
}
