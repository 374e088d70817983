package dev.turnpike.runtime.reload;

import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.config.ChainEntry;
import dev.turnpike.runtime.plugin.CarriedStates;
import dev.turnpike.runtime.plugin.ChainFactory;
import dev.turnpike.runtime.plugin.ChainPlan;
import dev.turnpike.runtime.plugin.LoadedPlugin;
import dev.turnpike.runtime.plugin.PluginServices;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a new chain beside the one in force and swaps it in: an entry whose plugin version and
 * config did not change keeps its running instance (and its state); the others get new instances
 * with the state their predecessors carried. All or nothing: a refused build leaves the chain in
 * force, and what it carries, as it was.
 *
 * <p>Management thread only.
 */
final class ChainSwapper {

    private final Generations generations;
    private final ChainFactory factory;
    /** Where each running instance came from, to keep unchanged ones across reloads. */
    private final Map<ChainLink, Origin> origins = new IdentityHashMap<>();
    /** What each chain entry's instances hand to the next one across reloads. */
    private final CarriedStates carriedStates = new CarriedStates();

    ChainSwapper(Generations generations, PluginServices services, Path dropDir) {
        this.generations = generations;
        this.factory = new ChainFactory(dropDir, services);
    }

    /** What a swap came to. */
    sealed interface Outcome permits Swapped, Refused {
    }

    /**
     * The new chain is in force.
     *
     * @param plan what became of each entry
     * @param used the plugin versions the new chain's instances come from
     * @param kept how many instances of the chain before were kept
     */
    record Swapped(ChainPlan plan, Chain chain, Set<LoadedPlugin> used, int kept) implements Outcome {
    }

    /** The build was refused (a missing plugin, a plugin refusing its section); nothing changed. */
    record Refused(InvalidConfigException reason) implements Outcome {
    }

    /** Builds {@code entries} from {@code plugins} and, if that works, makes it the chain in force. */
    Outcome swap(List<ChainEntry> entries, Map<String, LoadedPlugin> plugins) {
        ChainPlan plan = factory.plan(entries, plugins);
        Map<ChainLink, Origin> available = new IdentityHashMap<>(origins);
        Map<ChainLink, Origin> kept = new IdentityHashMap<>();
        CarriedStates.Build carried = carriedStates.begin();
        Chain next;
        try {
            next = factory.build(plan, (entry, plugin) -> {
                for (Map.Entry<ChainLink, Origin> e : available.entrySet()) {
                    // Read both before removing: an IdentityHashMap entry is a view of its slot.
                    ChainLink link = e.getKey();
                    Origin origin = e.getValue();
                    if (origin.plugin == plugin && origin.config.equals(entry.rawConfig())
                            && java.util.Objects.equals(origin.listener, entry.listener())) {
                        available.remove(link);
                        kept.put(link, origin);
                        return link;
                    }
                }
                return null;
            }, carried);
        } catch (InvalidConfigException e) {
            return new Refused(e);
        }
        List<ChainPlan.Step> started = plan.toStart();
        Map<ChainLink, Origin> now = new IdentityHashMap<>(kept);
        Set<LoadedPlugin> used = new HashSet<>();
        for (int i = 0; i < next.size(); i++) {
            ChainLink link = next.link(i);
            Origin o = kept.get(link);
            if (o == null) {
                ChainPlan.Step step = started.get(i);
                o = new Origin(step.plugin(), step.entry().rawConfig(), step.entry().listener());
                now.put(link, o);
            }
            used.add(o.plugin);
        }
        origins.clear();
        origins.putAll(now);
        generations.swap(next, used);
        carried.commit();
        return new Swapped(plan, next, used, kept.size());
    }

    /** Plugin id → the version the chain in force runs. */
    Map<String, LoadedPlugin> running() {
        Map<String, LoadedPlugin> out = new LinkedHashMap<>();
        for (ChainLink link : generations.current().links()) {
            Origin o = origins.get(link);
            if (o != null) {
                out.putIfAbsent(link.pluginId(), o.plugin);
            }
        }
        return out;
    }

    /** What a running instance was made from, and for which chain (a tcp listener's name, or null). */
    private record Origin(LoadedPlugin plugin, Map<String, Object> config, String listener) {
    }
}
