package dev.turnpike.runtime.chain;

import dev.turnpike.api.ProxyPlugin;

/**
 * One entry of the chain: a started plugin instance and where it came from.
 *
 * @param pluginId the plugin id, as named in conf/proxy.yaml
 * @param version  the plugin version the instance comes from
 * @param plugin   the started instance; raw-typed because each plugin has its own context type
 */
public record ChainLink(String pluginId, String version, ProxyPlugin<Object> plugin) {

    @SuppressWarnings("unchecked")
    public static ChainLink of(String pluginId, String version, ProxyPlugin<?> plugin) {
        return new ChainLink(pluginId, version, (ProxyPlugin<Object>) plugin);
    }
}
