package dev.turnpike.runtime.reload;

import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.plugin.LoadedPlugin;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The document {@code GET /plugins} serves: the generation in force, each loaded plugin (id,
 * version, jar, hash, whether the chain uses it and where), and how many generations and class
 * loaders are still on their way out.
 */
final class StatusJson {

    private StatusJson() {
    }

    static String of(long generation, Chain chain, List<LoadedPlugin> loaded, int retiring, int unloadedNotCollected, Path configFile) {
        StringBuilder sb = new StringBuilder(512);
        sb.append("{\"generation\":").append(generation)
                .append(",\"config\":").append(quote(configFile.toString()))
                .append(",\"chain\":[");
        for (int i = 0; i < chain.size(); i++) {
            ChainLink l = chain.link(i);
            sb.append(i == 0 ? "" : ",").append("{\"position\":").append(i)
                    .append(",\"id\":").append(quote(l.pluginId()))
                    .append(",\"version\":").append(quote(l.version())).append('}');
        }
        sb.append("],\"plugins\":[");
        boolean first = true;
        for (LoadedPlugin p : loaded) {
            List<Integer> positions = new ArrayList<>();
            for (int i = 0; i < chain.size(); i++) {
                if (chain.link(i).pluginId().equals(p.id()) && chain.link(i).version().equals(p.version())) {
                    positions.add(i);
                }
            }
            sb.append(first ? "" : ",").append("{\"id\":").append(quote(p.id()))
                    .append(",\"version\":").append(quote(p.version()))
                    .append(",\"jar\":").append(quote(p.sourceFile().getFileName().toString()))
                    .append(",\"sha256\":").append(quote(p.sha256()))
                    .append(",\"state\":").append(quote(positions.isEmpty() ? "loaded, not in chain" : "in chain"))
                    .append(",\"chain_positions\":").append(positions).append('}');
            first = false;
        }
        sb.append("],\"retiring_generations\":").append(retiring)
                .append(",\"unloaded_loaders_not_yet_collected\":").append(unloadedNotCollected).append('}');
        return sb.toString();
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
