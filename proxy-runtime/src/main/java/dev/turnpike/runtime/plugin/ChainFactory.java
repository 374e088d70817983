package dev.turnpike.runtime.plugin;

import dev.turnpike.api.ChainKind;
import dev.turnpike.api.ConnectionPlugin;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.metrics.PluginMetrics;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.config.ChainEntry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds a {@link Chain} from the configured {@code plugins.chain} and the loaded plugins: one new
 * instance per entry, in order, each started with its entry's config section.
 *
 * <p>All or nothing: when an entry fails, the instances already started are stopped (last first)
 * and the failure is thrown as an {@link InvalidConfigException} naming the key:
 * <ul>
 *   <li>a key of the entry's config that the plugin did not read: {@code <key path>: unknown key
 *       <key>}, with {@code (did you mean <key>?)} when the plugin asked for a close one;</li>
 *   <li>the plugin's own {@code InvalidConfigException}: as thrown, unless it is about a key that
 *       is absent while the section has an unread key close to it (a typo of it): then the typo's
 *       unknown-key error, naming both ({@link ConfigSection#misspeltKeyBehind}); a key given
 *       relative to the section is put under the entry's {@code config} path;</li>
 *   <li>anything else {@code start()} (or the constructor) throws:
 *       {@code plugins.chain[i]: plugin <id> failed to start: <message>}.</li>
 * </ul>
 * The instance whose own start failed is not stopped: {@code stop()} pairs with a successful
 * {@code start()}, so a plugin must release what it began before throwing. An instance that
 * started but left keys unread is stopped.
 *
 * <p>Which entries get an instance is decided first, as a {@link ChainPlan}: a required entry whose
 * plugin is not loaded refuses the whole chain before anything starts
 * ({@code plugins.chain[i].id: no plugin 'x' is loaded from <dir> ...}); an optional one is left
 * out. Saying so in the log is the caller's business: it knows whether that is news.
 *
 * <p>Management thread only (it calls {@code start()} and {@code stop()}); stateless otherwise.
 */
public final class ChainFactory {

    private final Path dropDir;
    private final PluginServices services;

    /**
     * A factory whose plugins get metrics but no event loops (for tests of the plugin host).
     *
     * @param dropDir the plugin directory, named in the message for a missing plugin
     * @param metrics where the started plugins register their metrics
     */
    public ChainFactory(Path dropDir, PluginMetrics metrics) {
        this(dropDir, PluginServices.withoutLoops(metrics));
    }

    /**
     * @param dropDir  the plugin directory, named in the message for a missing plugin
     * @param services what the started plugins get through their context
     */
    public ChainFactory(Path dropDir, PluginServices services) {
        this.dropDir = dropDir;
        this.services = services;
    }

    /**
     * @param entries the configured chain, in order
     * @param loaded  plugin id → loaded plugin ({@link PluginHost#plugins()})
     * @return the started chain; its instances are the caller's to {@link Chain#stop()}
     * @throws InvalidConfigException when a required entry's plugin is not loaded, or an entry refuses
     *         its configuration or fails to start
     */
    public Chain build(List<ChainEntry> entries, Map<String, LoadedPlugin> loaded) {
        return build(entries, loaded, (entry, plugin) -> null);
    }

    /**
     * As {@link #build(List, Map)}, but an entry for which {@code reuse} offers a running link (the
     * same plugin version with the same config, from the chain in force) keeps that instance, and its
     * state, instead of starting a new one. On failure only the instances started here are stopped.
     */
    public Chain build(List<ChainEntry> entries, Map<String, LoadedPlugin> loaded, Reuse reuse) {
        return build(entries, loaded, reuse, new CarriedStates().begin());
    }

    /**
     * As {@link #build(List, Map, Reuse)}, with each new instance's carried state taken from
     * {@code carried}; the caller commits it once the chain is in force.
     */
    public Chain build(List<ChainEntry> entries, Map<String, LoadedPlugin> loaded, Reuse reuse, CarriedStates.Build carried) {
        return build(plan(entries, loaded), reuse, carried);
    }

    /** Which entries {@code loaded} can serve, with this factory's plugin directory in the messages. */
    public ChainPlan plan(List<ChainEntry> entries, Map<String, LoadedPlugin> loaded) {
        return ChainPlan.of(entries, loaded, dropDir);
    }

    /**
     * Builds the {@link ChainPlan#toStart() entries to start} of {@code plan}, in order: the chain's
     * link {@code i} is made for {@code plan.toStart().get(i)}.
     *
     * @throws InvalidConfigException when the plan has a missing entry ({@link ChainPlan#refusal()}),
     *         or an entry refuses its configuration or fails to start
     */
    public Chain build(ChainPlan plan, Reuse reuse, CarriedStates.Build carried) {
        Optional<InvalidConfigException> refused = plan.refusal();
        if (refused.isPresent()) {
            throw refused.get();
        }
        List<ChainLink> links = new ArrayList<>();
        List<ChainLink> started = new ArrayList<>();
        try {
            Map<String, Integer> seen = new HashMap<>();
            for (ChainPlan.Step step : plan.toStart()) {
                ChainEntry entry = step.entry();
                LoadedPlugin plugin = step.plugin();
                // Carried state follows an entry by its chain, its id and its place among that id's entries.
                String scope = entry.listener() == null ? "" : "tcp:" + entry.listener() + "/";
                int n = seen.merge(scope + entry.pluginId(), 1, Integer::sum) - 1;
                String key = scope + entry.pluginId() + "#" + n;
                ChainLink kept = reuse.find(entry, plugin);
                if (kept != null) {
                    carried.kept(key, plugin);
                    links.add(kept);
                    continue;
                }
                ChainLink link = start(entry, plugin, carried.stateFor(key, plugin));
                started.add(link);
                links.add(link);
            }
            // Reading which phases each class overrides loads the classes its phase signatures name:
            // a jar missing one fails here, and must not leave the instances started above running.
            List<String> listeners = new ArrayList<>();
            plan.toStart().forEach(step -> listeners.add(step.entry().listener()));
            return new Chain(links, listeners);
        } catch (InvalidConfigException e) {
            Chain.stop(started);
            throw e;
        } catch (RuntimeException | LinkageError e) {
            Chain.stop(started);
            InvalidConfigException failed = new InvalidConfigException("plugins.chain",
                    "the chain could not be built: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            failed.initCause(e);
            throw failed;
        }
    }

    /** Offers a running link to keep for an entry, or {@code null} to start a new instance. */
    @FunctionalInterface
    public interface Reuse {
        ChainLink find(ChainEntry entry, LoadedPlugin plugin);
    }

    /** One entry: a started link, or (with nothing left running) the reason it is refused. */
    private ChainLink start(ChainEntry entry, LoadedPlugin plugin, ConcurrentMap<String, Object> state) {
        ConfigSection config = entry.config();
        ChainKind kind = entry.connectionLevel() ? ChainKind.TCP : ChainKind.HTTP;
        PluginContext context = new StartContext(plugin.id(), plugin.version(), kind, config, services, state);
        ProxyPlugin<?> instance;
        boolean noConnectionPhases = false;
        try {
            instance = plugin.newInstance();
            if (kind == ChainKind.TCP && !(instance instanceof ConnectionPlugin<?>)) {
                noConnectionPhases = true; // before start(): nothing to undo, and no instance that cannot serve the listener runs
            } else {
                instance.start(context);
            }
        } catch (InvalidConfigException e) {
            // A misspelt required key makes the plugin report the real key missing; the typo is
            // what to fix, so it is reported instead.
            throw config.startRefusal(e);
        } catch (Exception | LinkageError e) {
            String message = e.getMessage() != null ? e.getMessage() : e.toString();
            InvalidConfigException refused = new InvalidConfigException(entry.path(),
                    "plugin " + plugin.id() + " failed to start: " + message);
            refused.initCause(e);
            throw refused;
        }
        if (noConnectionPhases) {
            throw new InvalidConfigException(entry.path() + ".id", "plugin " + plugin.id()
                    + " has no connection-level phases (its extension does not implement "
                    + ConnectionPlugin.class.getName() + "), so it cannot serve a tcp listener's chain");
        }
        ChainLink link = ChainLink.of(plugin.id(), plugin.version(), instance);
        Optional<InvalidConfigException> unknown = config.unknownKey();
        if (unknown.isPresent()) {
            Chain.stop(List.of(link));
            throw unknown.get();
        }
        return link;
    }
}
