package dev.turnpike.runtime.config;

import dev.turnpike.api.config.ConfigSection;
import java.util.Map;
import java.util.Objects;

/**
 * One entry of {@code plugins.chain}: which plugin, at which position, with which config, and
 * whether the chain may run without it.
 *
 * @param pluginId  the plugin id ({@code Plugin-Id} of its jar)
 * @param rawConfig the entry's {@code config:} mapping as parsed (immutable; empty when absent)
 * @param path      the entry's place in the file, e.g. {@code plugins.chain[0]}, for error messages
 * @param presence  {@code optional:}: whether a missing plugin refuses the configuration
 * @param listener  the name of the {@code tcp} listener whose chain holds the entry, or {@code null}
 *                  for an entry of {@code plugins.chain} (the HTTP request path)
 */
public record ChainEntry(String pluginId, Map<String, Object> rawConfig, String path, Presence presence,
                         String listener) {

    /**
     * What the chain does when no plugin with the entry's id is loaded. An entry is required unless
     * it says {@code optional: true}: a missing security plugin must not turn into a proxy that lets
     * everything through.
     */
    public enum Presence {
        /** The configuration is refused (at start, and on a reload naming it). */
        REQUIRED,
        /** The entry is left out of the chain, with a log line, until its plugin is loaded. */
        OPTIONAL
    }

    public ChainEntry {
        Objects.requireNonNull(presence, "presence");
        // YAML maps may hold null values, which Map.copyOf refuses.
        rawConfig = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(rawConfig));
    }

    /** An entry of {@code plugins.chain}. */
    public ChainEntry(String pluginId, Map<String, Object> rawConfig, String path, Presence presence) {
        this(pluginId, rawConfig, path, presence, null);
    }

    /** A required entry of {@code plugins.chain}. */
    public ChainEntry(String pluginId, Map<String, Object> rawConfig, String path) {
        this(pluginId, rawConfig, path, Presence.REQUIRED);
    }

    /** Whether the entry belongs to a {@code tcp} listener's chain (connection phases) rather than the HTTP one. */
    public boolean connectionLevel() {
        return listener != null;
    }

    /** Whether the configuration is refused when this entry's plugin is not loaded. */
    public boolean required() {
        return presence == Presence.REQUIRED;
    }

    /**
     * A fresh view of the entry's config for one plugin instance to read: each instance's reads are
     * tracked on their own, so unknown keys are found per instance.
     */
    public ConfigSection config() {
        return ConfigSection.of(path + ".config", rawConfig);
    }
}
