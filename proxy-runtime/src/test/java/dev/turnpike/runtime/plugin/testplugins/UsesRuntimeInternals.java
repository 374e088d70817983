package dev.turnpike.runtime.plugin.testplugins;

import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.runtime.config.ChainEntry;

/**
 * A test plugin that names a runtime class ({@link ChainEntry}) in a method signature and nowhere
 * else: the class loads and starts without it, and reflection on its methods (as the chain does)
 * would fail.
 */
public final class UsesRuntimeInternals implements ProxyPlugin<Void> {

    /** Never called; here for its signature. */
    public String describe(ChainEntry entry) {
        return entry.pluginId();
    }
}
