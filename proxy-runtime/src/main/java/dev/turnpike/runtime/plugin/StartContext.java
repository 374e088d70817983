package dev.turnpike.runtime.plugin;

import dev.turnpike.api.ChainKind;
import dev.turnpike.api.EventLoopExecutor;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.health.HealthProbes;
import dev.turnpike.api.metrics.PluginMetrics;
import java.util.concurrent.ConcurrentMap;

/**
 * The {@link PluginContext} one instance gets at start: its identity, its own fresh config section
 * (whose reads are tracked for that instance alone), the runtime's services, and the state carried
 * from the previous instance of its chain entry. The executor is chosen on first use, so an instance
 * that never asks takes no loop.
 */
final class StartContext implements PluginContext {

    private final String pluginId;
    private final String pluginVersion;
    private final ChainKind kind;
    private final ConfigSection config;
    private final PluginServices services;
    private final ConcurrentMap<String, Object> carriedState;
    private EventLoopExecutor executor;

    /** For an instance of {@code plugins.chain}. */
    StartContext(String pluginId, String pluginVersion, ConfigSection config, PluginServices services,
                 ConcurrentMap<String, Object> carriedState) {
        this(pluginId, pluginVersion, ChainKind.HTTP, config, services, carriedState);
    }

    StartContext(String pluginId, String pluginVersion, ChainKind kind, ConfigSection config, PluginServices services,
                 ConcurrentMap<String, Object> carriedState) {
        this.pluginId = pluginId;
        this.pluginVersion = pluginVersion;
        this.kind = kind;
        this.config = config;
        this.services = services;
        this.carriedState = carriedState;
    }

    @Override
    public String pluginId() {
        return pluginId;
    }

    @Override
    public String pluginVersion() {
        return pluginVersion;
    }

    @Override
    public ChainKind chainKind() {
        return kind;
    }

    @Override
    public ConfigSection config() {
        return config;
    }

    @Override
    public PluginMetrics metrics() {
        return services.metrics();
    }

    @Override
    public synchronized EventLoopExecutor executor() {
        if (executor == null) {
            executor = services.executors().get();
        }
        return executor;
    }

    @Override
    public HealthProbes probes() {
        if (services.probes() == null) {
            throw new IllegalStateException("no health probes in this context");
        }
        return services.probes();
    }

    @Override
    public ConcurrentMap<String, Object> carriedState() {
        return carriedState;
    }
}
