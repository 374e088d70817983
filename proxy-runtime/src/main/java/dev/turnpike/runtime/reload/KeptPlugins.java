package dev.turnpike.runtime.reload;

import dev.turnpike.runtime.config.ChainEntry;
import dev.turnpike.runtime.plugin.LoadedPlugin;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Plugin versions that keep running after their jar left the drop directory, because a required
 * chain entry in force uses them.
 *
 * <p>Why: a jar deleted by mistake, or a deploy that removes the old file before the new one is
 * there, must not take a plugin out of the request path behind the operator's back: if it is the
 * authentication plugin, every request would then pass. The configuration says which plugins run;
 * the drop directory only says which versions are available. So a required entry keeps the version
 * it runs until the configuration stops naming it (a config reload without that entry), or a jar
 * provides that id again. An optional entry keeps nothing: it may leave the chain, which is what
 * optional means.
 *
 * <p>A decision table with no I/O and no logging: each method returns what changed, for the
 * {@link Reloader} to log. Management thread only.
 */
final class KeptPlugins {

    /** Plugin id → the version kept for it. */
    private final Map<String, LoadedPlugin> kept = new TreeMap<>();

    /** A version newly kept, with the required entries in force that name its id. */
    record Kept(LoadedPlugin plugin, List<ChainEntry> entries) {
    }

    /**
     * After a scan of the drop directory: keeps the running version of every id that a required
     * entry of {@code chain} names and that {@code fromJars} no longer provides.
     *
     * @param chain    the entries of the configuration in force
     * @param running  plugin id → the version the chain in force runs
     * @param fromJars plugin id → the version the drop directory holds now
     * @return the versions newly kept
     */
    List<Kept> afterScan(List<ChainEntry> chain, Map<String, LoadedPlugin> running, Map<String, LoadedPlugin> fromJars) {
        List<Kept> added = new ArrayList<>();
        for (Map.Entry<String, List<ChainEntry>> need : requiredById(chain).entrySet()) {
            String id = need.getKey();
            LoadedPlugin version = running.get(id);
            if (fromJars.containsKey(id) || version == null || kept.get(id) == version) {
                continue;
            }
            kept.put(id, version);
            added.add(new Kept(version, need.getValue()));
        }
        return added;
    }

    /**
     * After a scan: lets go of the kept versions whose id a jar of the drop directory provides again
     * (the chain is then rebuilt from that jar).
     *
     * @return the versions let go
     */
    List<LoadedPlugin> releaseProvided(Map<String, LoadedPlugin> fromJars) {
        List<LoadedPlugin> released = new ArrayList<>();
        kept.entrySet().removeIf(e -> fromJars.containsKey(e.getKey()) && released.add(e.getValue()));
        return released;
    }

    /**
     * The versions to build {@code chain} from: {@code fromJars}, plus the kept version of each id a
     * required entry of {@code chain} names and no jar provides.
     */
    Map<String, LoadedPlugin> overlay(Map<String, LoadedPlugin> fromJars, List<ChainEntry> chain) {
        Map<String, LoadedPlugin> out = new LinkedHashMap<>(fromJars);
        for (String id : requiredById(chain).keySet()) {
            LoadedPlugin version = kept.get(id);
            if (version != null) {
                out.putIfAbsent(id, version);
            }
        }
        return out;
    }

    /**
     * After {@code chain} went into force: lets go of the kept versions none of its required entries
     * names any more (they then leave like any version no chain uses).
     *
     * @return the versions let go
     */
    List<LoadedPlugin> retainNamedBy(List<ChainEntry> chain) {
        Map<String, List<ChainEntry>> required = requiredById(chain);
        List<LoadedPlugin> released = new ArrayList<>();
        kept.entrySet().removeIf(e -> {
            if (required.containsKey(e.getKey())) {
                return false;
            }
            released.add(e.getValue());
            return true;
        });
        return released;
    }

    /** Every version kept now. */
    Collection<LoadedPlugin> versions() {
        return List.copyOf(kept.values());
    }

    /** Whether {@code plugin} is kept (its jar gone, a required entry using it). */
    boolean keeps(LoadedPlugin plugin) {
        return kept.get(plugin.id()) == plugin;
    }

    private static Map<String, List<ChainEntry>> requiredById(List<ChainEntry> chain) {
        Map<String, List<ChainEntry>> out = new LinkedHashMap<>();
        for (ChainEntry e : chain) {
            if (e.required()) {
                out.computeIfAbsent(e.pluginId(), k -> new ArrayList<>()).add(e);
            }
        }
        return out;
    }
}
