package dev.turnpike.api;

import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.health.HealthProbes;
import dev.turnpike.api.metrics.PluginMetrics;
import java.util.concurrent.ConcurrentMap;

/**
 * What a plugin instance gets at {@link ProxyPlugin#start}: who it is and its configuration.
 * Valid until {@link ProxyPlugin#stop}.
 */
public interface PluginContext {

    /** The plugin id (the jar's {@code Plugin-Id}), as named in the chain. */
    String pluginId();

    /** The plugin version (the jar's {@code Plugin-Version}). */
    String pluginVersion();

    /**
     * Which chain this instance serves: {@link ChainKind#HTTP} for an entry of {@code plugins.chain}
     * (its {@link ProxyPlugin} phases run), {@link ChainKind#TCP} for an entry of a
     * {@code tcp[i].chain} (its {@link ConnectionPlugin} phases run, and only those). A plugin whose
     * configuration means something only for one kind (routes by Host, say) refuses it for the other
     * here, at start.
     */
    default ChainKind chainKind() {
        return ChainKind.HTTP;
    }

    /** This chain entry's {@code config:} section (empty when absent). */
    ConfigSection config();

    /** Where this plugin registers its own metrics (exported with the runtime's). */
    PluginMetrics metrics();

    /**
     * An event loop of the proxy for this instance's own timers and background work (active health
     * checks, cache expiry): tasks run on it follow the phase rule, never block. Tasks scheduled
     * here must be cancelled in {@link ProxyPlugin#stop}: a task left behind keeps the plugin's
     * class loader alive.
     */
    EventLoopExecutor executor();

    /** Non-blocking TCP and HTTP probes of backends, for active health checks. */
    HealthProbes probes();

    /**
     * State handed from one instance of this chain entry to the next when the configuration is
     * reloaded: the new instance (started while the old one still serves its last requests) gets a
     * copy of the map as the instance in force has it, holding the same value objects, so what it
     * keeps there (backend health, counters) carries over. Entries the new instance adds or removes
     * count only if its configuration is accepted: a refused reload leaves the map in force as it
     * was. The map is a fresh, empty one when the plugin's jar changed: objects of the old jar's
     * classes would pin its class loader, and the new classes could not use them anyway. Entries are
     * matched by chain (plugins.chain, or a tcp listener's), plugin id and position among that chain's entries of that id.
     *
     * <p>Thread-safe. Values shared by two instances during a swap are used by both at once.
     */
    ConcurrentMap<String, Object> carriedState();
}
