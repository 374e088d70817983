package dev.turnpike.runtime.plugin;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The {@link dev.turnpike.api.PluginContext#carriedState()} maps of the chain in force, by chain
 * entry ({@code <plugin id>#<n>}: the n-th entry of that id). A rebuild hands an entry a copy of the
 * map its previous instance had when the plugin version is the same loaded jar (so a build that is
 * refused after the plugin started changes nothing in force), and a fresh map otherwise, so no map
 * ever holds objects of a class loader other than its instances'. Maps of entries that left the
 * chain are dropped at the next successful build. Management thread only.
 */
public final class CarriedStates {

    private record Held(LoadedPlugin plugin, ConcurrentMap<String, Object> state) {
    }

    private Map<String, Held> held = new HashMap<>();

    /** Starts a build; its maps replace the ones in force only when it is {@linkplain Build#commit() committed}. */
    public Build begin() {
        return new Build();
    }

    /** The maps one chain build hands out. */
    public final class Build {
        private final Map<String, Held> next = new HashMap<>();

        /** Entry {@code key} keeps its running instance, and with it the map that instance has. */
        void kept(String key, LoadedPlugin plugin) {
            Held before = held.get(key);
            if (before != null && before.plugin == plugin) {
                next.put(key, before);
            }
        }

        /** The state for a new instance of entry {@code key} served by {@code plugin}. */
        ConcurrentMap<String, Object> stateFor(String key, LoadedPlugin plugin) {
            Held before = held.get(key);
            ConcurrentMap<String, Object> state = before != null && before.plugin == plugin
                    ? new ConcurrentHashMap<>(before.state) : new ConcurrentHashMap<>();
            next.put(key, new Held(plugin, state));
            return state;
        }

        /** The build's chain is in force: its maps are the ones the next build starts from. */
        public void commit() {
            held = next;
        }
    }
}
