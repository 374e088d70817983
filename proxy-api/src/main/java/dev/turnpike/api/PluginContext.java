package dev.turnpike.api;

import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.metrics.PluginMetrics;

/**
 * What a plugin instance gets at {@link ProxyPlugin#start}: who it is and its configuration.
 * Valid until {@link ProxyPlugin#stop}.
 */
public interface PluginContext {

    /** The plugin id (the jar's {@code Plugin-Id}), as named in the chain. */
    String pluginId();

    /** The plugin version (the jar's {@code Plugin-Version}). */
    String pluginVersion();

    /** This chain entry's {@code config:} section (empty when absent). */
    ConfigSection config();

    /** Where this plugin registers its own metrics (exported with the runtime's). */
    PluginMetrics metrics();
}
