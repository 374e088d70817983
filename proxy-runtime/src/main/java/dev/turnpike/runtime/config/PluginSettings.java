package dev.turnpike.runtime.config;

import dev.turnpike.api.config.ConfigSection;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Which plugins run and where their jars are, {@code plugins:} in the configuration file. Every key
 * is optional.
 *
 * @param dir   {@code plugins.dir}: the folder of plugin jars (default {@code plugins}); a relative
 *              path is resolved against the working directory, so this is absolute and normalized
 *              when loaded. Whether it exists is not checked here.
 * @param chain {@code plugins.chain}: the plugins of the request path, in order (default: none).
 *              Each entry is {@code {id, config, optional}}: {@code id} the plugin id (letters, digits,
 *              {@code . _ -}), {@code config} a mapping the runtime hands to that plugin unread (the
 *              plugin checks it), {@code optional} whether the chain may run without that plugin
 *              (default false: a chain entry whose plugin is not loaded refuses the configuration).
 *              The same id may appear more than once, each with its own config.
 * @param phaseTimeout {@code plugins.phase_timeout}: how long a phase's {@code Outcome.later} stage
 *              may stay pending; then the request fails with 500 naming the plugin and the phase
 *              (or is cut, if its response had started), and lets go of its chain (default 10s)
 */
public record PluginSettings(Path dir, List<ChainEntry> chain, java.time.Duration phaseTimeout) {

    /** The keys of {@code plugins:}, for the hint that goes with an unknown key. */
    static final List<String> KEYS = List.of("dir", "chain", "phase_timeout");

    /** The keys of one chain entry. */
    static final List<String> ENTRY_KEYS = List.of("id", "config", "optional");

    private static final Pattern PLUGIN_ID = Pattern.compile("[A-Za-z0-9._-]+");

    public PluginSettings {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(phaseTimeout, "phaseTimeout");
        chain = List.copyOf(chain);
    }

    /** The settings of an absent {@code plugins:} section: {@code ./plugins}, no chain. */
    public static PluginSettings defaults() {
        return read(ConfigSection.empty("plugins"));
    }

    /** Reads and checks {@code plugins:}; errors name the key. */
    static PluginSettings read(ConfigSection s) {
        String dirText = s.string("dir", "plugins");
        if (dirText.isBlank()) {
            // Path.of("") is the working directory: never what an operator meant.
            throw s.invalid("dir", "must not be empty");
        }
        Path dir;
        try {
            dir = Path.of(dirText).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw s.invalid("dir", "'" + dirText + "' is not a valid path: " + e.getReason());
        }
        List<ChainEntry> chain = readChain(s, "chain", null);
        return new PluginSettings(dir, chain, Limits.duration(s, "phase_timeout", java.time.Duration.ofSeconds(10)));
    }

    /**
     * Reads a list of chain entries, {@code {id, config, optional}} each, at {@code key} of
     * {@code s}: {@code plugins.chain}, or a {@code tcp} listener's {@code chain}.
     *
     * @param listener the tcp listener's name, or {@code null} for {@code plugins.chain}
     */
    static List<ChainEntry> readChain(ConfigSection s, String key, String listener) {
        List<ChainEntry> chain = new ArrayList<>();
        for (ConfigSection entry : s.sections(key)) {
            String id = entry.string("id");
            if (!PLUGIN_ID.matcher(id).matches()) {
                throw entry.invalid("id", "'" + id + "' is not a plugin id (letters, digits, '.', '_', '-')");
            }
            // raw() counts the whole config: section as read: its keys are the plugin's to check.
            Map<String, Object> config = entry.section("config").raw();
            @SuppressWarnings("unchecked")
            Map<String, Object> frozen = (Map<String, Object>) freeze(config);
            ChainEntry.Presence presence = entry.bool("optional", false)
                    ? ChainEntry.Presence.OPTIONAL : ChainEntry.Presence.REQUIRED;
            chain.add(new ChainEntry(id, frozen, entry.path(), presence, listener));
        }
        return chain;
    }

    /**
     * A deep, unmodifiable copy of parsed YAML: one chain entry's config is shared by every plugin
     * instance made from it, across chain generations, so no instance may change what the next
     * one reads. (Lists and maps may hold nulls, which List.copyOf and Map.copyOf refuse.)
     */
    private static Object freeze(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> copy = new LinkedHashMap<>();
            m.forEach((k, x) -> copy.put(k, freeze(x)));
            return Collections.unmodifiableMap(copy);
        }
        if (v instanceof List<?> l) {
            List<Object> copy = new ArrayList<>(l.size());
            l.forEach(x -> copy.add(freeze(x)));
            return Collections.unmodifiableList(copy);
        }
        return v;
    }
}
