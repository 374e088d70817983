package dev.turnpike.runtime.reload;

import dev.turnpike.runtime.config.ChainEntry;
import dev.turnpike.runtime.plugin.ChainPlan;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optional chain entries the chain in force runs without (their plugin is not loaded). Each is
 * logged when it leaves and when it comes back, not at every rebuild: a reload for an unrelated
 * reason must not repeat a warning the operator has already read, but the entry stays visible in
 * {@code GET /plugins} for as long as it is left out.
 *
 * <p>Management thread only.
 */
final class LeftOutEntries {

    private static final Logger log = LoggerFactory.getLogger(LeftOutEntries.class);

    /** One entry left out: where it is, which plugin it names, and why, as the log said it. */
    record LeftOut(String path, String pluginId, String reason) {
    }

    /** By entry path and plugin id, so that editing an entry's config does not make it news again. */
    private Map<String, LeftOut> current = Map.of();

    /** The chain of {@code plan} is now in force: logs the entries that left and the ones back. */
    void update(ChainPlan plan) {
        Map<String, LeftOut> next = new LinkedHashMap<>();
        for (ChainEntry e : plan.leftOut()) {
            next.put(key(e.path(), e.pluginId()), new LeftOut(e.path(), e.pluginId(), plan.describeLeftOut(e)));
        }
        for (Map.Entry<String, LeftOut> e : next.entrySet()) {
            if (!current.containsKey(e.getKey())) {
                log.warn("chain entry {}", e.getValue().reason());
            }
        }
        for (ChainPlan.Step step : plan.toStart()) {
            if (current.containsKey(key(step.entry().path(), step.entry().pluginId()))) {
                log.info("chain entry {} (optional): plugin {} is loaded, back in the chain", step.entry().path(), step.plugin());
            }
        }
        current = next;
    }

    /** The entries left out of the chain in force, in chain order. */
    List<LeftOut> entries() {
        return List.copyOf(current.values());
    }

    private static String key(String path, String pluginId) {
        return path + '\u0000' + pluginId;
    }
}
