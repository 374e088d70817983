package dev.turnpike.runtime.config;

import dev.turnpike.api.config.ConfigSection;
import java.util.Map;

/**
 * One entry of {@code plugins.chain}: which plugin, at which position, with which config.
 *
 * @param pluginId  the plugin id ({@code Plugin-Id} of its jar)
 * @param rawConfig the entry's {@code config:} mapping as parsed (immutable; empty when absent)
 * @param path      the entry's place in the file, e.g. {@code plugins.chain[0]}, for error messages
 */
public record ChainEntry(String pluginId, Map<String, Object> rawConfig, String path) {

    public ChainEntry {
        // YAML maps may hold null values, which Map.copyOf refuses.
        rawConfig = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(rawConfig));
    }

    /**
     * A fresh view of the entry's config for one plugin instance to read: each instance's reads are
     * tracked on their own, so unknown keys are found per instance.
     */
    public ConfigSection config() {
        return ConfigSection.of(path + ".config", rawConfig);
    }
}
