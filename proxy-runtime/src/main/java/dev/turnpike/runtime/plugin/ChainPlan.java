package dev.turnpike.runtime.plugin;

import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.runtime.config.ChainEntry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code plugins.chain} comes to with the plugins loaded now, decided before any instance
 * starts: each entry is {@link Resolution#LOADED} (built), {@link Resolution#LEFT_OUT} (optional,
 * its plugin not loaded: the chain runs without it) or {@link Resolution#MISSING} (required, its
 * plugin not loaded). A plan with a missing entry is refused as a whole: a chain that quietly lost
 * its authentication plugin would answer every unauthenticated request with the backend's 200.
 *
 * <p>A value: immutable, no I/O, no logging (the caller decides what to say and when).
 */
public final class ChainPlan {

    /** What became of one entry. */
    public enum Resolution {
        /** Its plugin is loaded: the entry gets an instance. */
        LOADED,
        /** Optional and its plugin is not loaded: left out of the chain until it is. */
        LEFT_OUT,
        /** Required and its plugin is not loaded: the configuration is refused. */
        MISSING
    }

    /**
     * One entry and what became of it.
     *
     * @param plugin the loaded plugin for a {@link Resolution#LOADED} entry, else {@code null}
     */
    public record Step(ChainEntry entry, Resolution resolution, LoadedPlugin plugin) {
    }

    private final List<Step> steps;
    private final Path dropDir;
    private final List<String> loadedIds;

    private ChainPlan(List<Step> steps, Path dropDir, List<String> loadedIds) {
        this.steps = List.copyOf(steps);
        this.dropDir = dropDir;
        this.loadedIds = List.copyOf(loadedIds);
    }

    /**
     * @param entries the configured chain, in order
     * @param loaded  plugin id → the version to build from
     * @param dropDir where the plugins were looked for, named in the messages
     */
    public static ChainPlan of(List<ChainEntry> entries, Map<String, LoadedPlugin> loaded, Path dropDir) {
        List<Step> steps = new ArrayList<>(entries.size());
        for (ChainEntry entry : entries) {
            LoadedPlugin plugin = loaded.get(entry.pluginId());
            if (plugin != null) {
                steps.add(new Step(entry, Resolution.LOADED, plugin));
            } else {
                steps.add(new Step(entry, entry.required() ? Resolution.MISSING : Resolution.LEFT_OUT, null));
            }
        }
        return new ChainPlan(steps, dropDir, loaded.keySet().stream().sorted().toList());
    }

    /** Every entry, in configured order. */
    public List<Step> steps() {
        return steps;
    }

    /** The entries that get an instance, in order: the chain's links correspond to these one to one. */
    public List<Step> toStart() {
        return List.copyOf(with(Resolution.LOADED));
    }

    /** The optional entries left out because their plugin is not loaded. */
    public List<ChainEntry> leftOut() {
        return with(Resolution.LEFT_OUT).stream().map(Step::entry).toList();
    }

    /** The required entries whose plugin is not loaded: any one refuses the plan. */
    public List<ChainEntry> missing() {
        return with(Resolution.MISSING).stream().map(Step::entry).toList();
    }

    /**
     * Why the plan cannot be built, or empty when it can. The key is the first missing entry's
     * {@code id}, so the message reads like any other refused key:
     * {@code plugins.chain[0].id: no plugin 'x' is loaded from /srv/plugins (loaded there: a, b); ...}.
     */
    public Optional<InvalidConfigException> refusal() {
        List<ChainEntry> missing = missing();
        if (missing.isEmpty()) {
            return Optional.empty();
        }
        ChainEntry first = missing.get(0);
        StringBuilder reason = new StringBuilder(notLoaded(first))
                .append(" (").append(loadedIds.isEmpty() ? "none is" : "loaded there: " + String.join(", ", loadedIds))
                .append("); add its jar there or fix the id, or mark the entry 'optional: true' to run without it");
        for (ChainEntry other : missing.subList(1, missing.size())) {
            reason.append("; also ").append(other.path()).append(".id: ").append(notLoaded(other));
        }
        return Optional.of(new InvalidConfigException(first.path() + ".id", reason.toString()));
    }

    /** For a log line or a status: {@code plugins.chain[2] (optional): no plugin 'x' is loaded from DIR; left out}. */
    public String describeLeftOut(ChainEntry entry) {
        return entry.path() + " (optional): " + notLoaded(entry) + "; left out of the chain until it is";
    }

    private String notLoaded(ChainEntry entry) {
        return "no plugin '" + entry.pluginId() + "' is loaded from " + dropDir;
    }

    private List<Step> with(Resolution resolution) {
        List<Step> out = new ArrayList<>();
        for (Step s : steps) {
            if (s.resolution() == resolution) {
                out.add(s);
            }
        }
        return out;
    }
}
