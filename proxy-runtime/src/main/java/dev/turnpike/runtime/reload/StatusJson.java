package dev.turnpike.runtime.reload;

import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.plugin.LoadedPlugin;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The document {@code GET /plugins} serves: the generation in force, each loaded plugin (id,
 * version, jar, hash, whether the chain uses it and where, whether it runs on after its jar was
 * removed), the jars refused (file and reason: a broken jar, one requiring another proxy-api), the
 * optional chain entries left out, and how many generations and class loaders are
 * still on their way out.
 */
final class StatusJson {

    /** Where a listed version comes from. */
    private enum Source {
        /** A jar in the drop directory. */
        JAR,
        /** Nowhere any more: its jar is gone, and a required chain entry keeps it running. */
        KEPT
    }

    private StatusJson() {
    }

    /**
     * What the document shows.
     *
     * @param loaded   the versions loaded from the jars of the drop directory
     * @param kept     the versions whose jar is gone that a required chain entry keeps running
     * @param refused  the jars of the drop directory that did not load, as they are now
     * @param leftOut  the optional entries the chain in force runs without
     */
    record View(long generation, Chain chain, List<LoadedPlugin> loaded, Collection<LoadedPlugin> kept,
            List<JarTracker.Refusal> refused, List<LeftOutEntries.LeftOut> leftOut, int retiring, int unloadedNotCollected, Path configFile) {
    }

    static String of(View v) {
        Chain chain = v.chain();
        StringBuilder sb = new StringBuilder(512);
        sb.append("{\"generation\":").append(v.generation())
                .append(",\"config\":").append(quote(v.configFile().toString()))
                .append(",\"chain\":[");
        for (int i = 0; i < chain.size(); i++) {
            ChainLink l = chain.link(i);
            sb.append(i == 0 ? "" : ",").append("{\"position\":").append(i)
                    .append(",\"listener\":").append(chain.listenerOf(i) == null ? "null" : quote(chain.listenerOf(i)))
                    .append(",\"id\":").append(quote(l.pluginId()))
                    .append(",\"version\":").append(quote(l.version())).append('}');
        }
        sb.append("],\"plugins\":[");
        boolean first = true;
        for (LoadedPlugin p : v.loaded()) {
            plugin(sb.append(first ? "" : ","), p, chain, Source.JAR);
            first = false;
        }
        for (LoadedPlugin p : v.kept()) {
            plugin(sb.append(first ? "" : ","), p, chain, Source.KEPT);
            first = false;
        }
        sb.append("],\"refused\":[");
        first = true;
        for (JarTracker.Refusal r : v.refused()) {
            sb.append(first ? "" : ",").append("{\"jar\":").append(quote(r.file().getFileName().toString()))
                    .append(",\"reason\":").append(quote(r.reason())).append('}');
            first = false;
        }
        sb.append("],\"left_out\":[");
        first = true;
        for (LeftOutEntries.LeftOut e : v.leftOut()) {
            sb.append(first ? "" : ",").append("{\"entry\":").append(quote(e.path()))
                    .append(",\"id\":").append(quote(e.pluginId()))
                    .append(",\"reason\":").append(quote(e.reason())).append('}');
            first = false;
        }
        sb.append("],\"retiring_generations\":").append(v.retiring())
                .append(",\"unloaded_loaders_not_yet_collected\":").append(v.unloadedNotCollected()).append('}');
        return sb.toString();
    }

    private static void plugin(StringBuilder sb, LoadedPlugin p, Chain chain, Source source) {
        List<Integer> positions = new ArrayList<>();
        for (int i = 0; i < chain.size(); i++) {
            if (chain.link(i).pluginId().equals(p.id()) && chain.link(i).version().equals(p.version())) {
                positions.add(i);
            }
        }
        String state = source == Source.KEPT ? "jar removed, kept running for the chain"
                : positions.isEmpty() ? "loaded, not in chain" : "in chain";
        sb.append("{\"id\":").append(quote(p.id()))
                .append(",\"version\":").append(quote(p.version()))
                .append(",\"jar\":").append(quote(p.sourceFile().getFileName().toString()))
                .append(",\"sha256\":").append(quote(p.sha256()))
                .append(",\"state\":").append(quote(state))
                .append(",\"chain_positions\":").append(positions).append('}');
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
