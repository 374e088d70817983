package dev.turnpike.runtime.reload;

import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.plugin.DropDirectory;
import dev.turnpike.runtime.plugin.LoadedPlugin;
import dev.turnpike.runtime.plugin.PluginHost;
import dev.turnpike.runtime.plugin.PluginLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jars of the drop directory as the reloader knows them: which file holds which loaded
 * version. A {@link #scan} brings that in line with the disk: a new or changed jar is loaded once it
 * has stopped changing (the same size and modification time at two looks), a jar that does not load
 * is refused once (the version loaded from that file before stays), and a removed one is forgotten
 * once it is still missing at a second look.
 * What that means for the chain is the {@link Reloader}'s to decide.
 *
 * <p>Management thread only.
 */
final class JarTracker {

    private static final Logger log = LoggerFactory.getLogger(JarTracker.class);

    /** A jar modified less than this long ago that does not load is given more time before it is refused. */
    static final long YOUNG_FILE_MILLIS = 2_000;

    private final DropDirectory drop;
    private final PluginHost host;
    private final ProxyMetrics metrics;
    /** The jars of the drop directory, by file, with the version loaded from each. */
    private final Map<Path, Jar> jars = new TreeMap<>();
    /** Files seen changing, with what they looked like at the last look: loaded once they settle. */
    private final Map<Path, Fingerprint> settling = new HashMap<>();
    /**
     * Known jars found missing at the last look, not yet taken as removed: an overwrite by
     * {@code Files.copy(REPLACE_EXISTING)} deletes, then creates, and a look in between must not
     * take the plugin out of the chain. Gone at the next look too, they are removed.
     */
    private final Set<Path> vanishing = new HashSet<>();
    /** Files refused as they are now, with why: tried again only once they change. */
    private final Map<Path, Refusal> refused = new TreeMap<>();

    JarTracker(DropDirectory drop, PluginHost host, ProxyMetrics metrics) {
        this.drop = drop;
        this.host = host;
        this.metrics = metrics;
    }

    /**
     * What one scan changed.
     *
     * @param changed  a version was added, replaced or removed: the chain needs rebuilding
     * @param waiting  a file is still settling: scan again shortly
     * @param replaced the versions that left the directory (replaced or removed), for unloading
     * @param removed  the jars whose file is gone, with the version loaded from each
     * @param refusalsChanged a jar was refused, or a refused one loaded or left: {@link #refused()} changed
     */
    record Scan(boolean changed, boolean waiting, List<LoadedPlugin> replaced, List<Removed> removed,
            boolean refusalsChanged) {
    }

    /** A jar whose file left the drop directory, and the version that had been loaded from it. */
    record Removed(Path file, LoadedPlugin plugin) {
    }

    /** Brings the known jars in line with the directory. {@code initial}: at start nothing waits to settle. */
    Scan scan(boolean initial) throws IOException {
        List<Path> files = drop.exists() ? drop.jars() : List.of();
        Map<Path, Refusal> refusedBefore = new HashMap<>(refused);
        boolean changed = false;
        boolean waiting = false;
        List<LoadedPlugin> replaced = new ArrayList<>();
        for (Path file : files) {
            Fingerprint now = Fingerprint.of(file);
            if (now == null) {
                continue; // vanished between listing and looking
            }
            Jar known = jars.get(file);
            Refusal before = refused.get(file);
            if (known != null && known.fingerprint.equals(now) || before != null && now.equals(before.fingerprint())) {
                settling.remove(file);
                continue;
            }
            if (!initial && !now.equals(settling.get(file))) {
                settling.put(file, now); // still being written, or first seen: look again shortly
                waiting = true;
                continue;
            }
            settling.remove(file);
            LoadedPlugin loaded;
            try {
                loaded = host.load(file);
            } catch (PluginLoadException e) {
                if (!initial && System.currentTimeMillis() - now.modifiedNanos() / 1_000_000 < YOUNG_FILE_MILLIS) {
                    // Written moments ago and unreadable: most likely a writer that paused longer than
                    // the settle time. Look again later; refuse only a file that stays like this.
                    log.debug("plugin jar {} not readable yet ({}); looking again", file.getFileName(), e.reason());
                    settling.put(file, now);
                    waiting = true;
                    continue;
                }
                refused.put(file, new Refusal(file, e.reason(), now));
                metrics.reloaded("plugins", false);
                log.error("plugin jar {} refused: {}{}", file.getFileName(), e.reason(),
                        known != null ? "; the version loaded before (" + known.plugin + ") keeps serving" : "");
                continue;
            }
            refused.remove(file);
            if (known != null && known.plugin.sha256().equals(loaded.sha256())) {
                loaded.close(); // touched, same bytes: nothing to do
                jars.put(file, new Jar(known.plugin, now));
                continue;
            }
            if (known != null) {
                replaced.add(known.plugin);
            }
            jars.put(file, new Jar(loaded, now));
            changed = true;
            if (!initial) {
                log.info("plugin jar {}: {} {}", file.getFileName(), known == null ? "added" : "replaced, now", loaded);
            }
        }
        Set<Path> present = new HashSet<>(files);
        List<Removed> removed = new ArrayList<>();
        vanishing.retainAll(jars.keySet());
        vanishing.removeAll(present);
        for (Path gone : new ArrayList<>(jars.keySet())) {
            if (!present.contains(gone)) {
                if (!initial && vanishing.add(gone)) {
                    waiting = true; // look again after the settle time before taking it out
                    continue;
                }
                vanishing.remove(gone);
                Jar j = jars.remove(gone);
                replaced.add(j.plugin);
                removed.add(new Removed(gone, j.plugin));
                changed = true;
            }
        }
        settling.keySet().retainAll(present);
        refused.keySet().retainAll(present);
        return new Scan(changed, waiting, replaced, removed, !refusedBefore.equals(refused));
    }

    /** The plugin versions the drop directory holds now, one per id: the last file by name wins. */
    Map<String, LoadedPlugin> plugins() {
        Map<String, LoadedPlugin> byId = new LinkedHashMap<>();
        for (Jar j : jars.values()) {
            LoadedPlugin before = byId.put(j.plugin.id(), j.plugin);
            if (before != null) {
                log.warn("plugin jars {} and {} both have Plugin-Id '{}': using {}", before.sourceFile().getFileName(),
                        j.plugin.sourceFile().getFileName(), j.plugin.id(), j.plugin.sourceFile().getFileName());
            }
        }
        return byId;
    }

    /** Every version loaded from a jar that is still there (duplicates of an id included). */
    List<LoadedPlugin> versions() {
        List<LoadedPlugin> out = new ArrayList<>();
        jars.values().forEach(j -> out.add(j.plugin));
        return out;
    }

    /** The jars of the drop directory refused as they are now, by file name, with why (for /plugins). */
    List<Refusal> refused() {
        return List.copyOf(refused.values());
    }

    /** A jar that did not load, why (as logged), and what the file looked like then. */
    record Refusal(Path file, String reason, Fingerprint fingerprint) {
    }

    /** A jar of the drop directory: the version loaded from it and what the file looked like then. */
    private record Jar(LoadedPlugin plugin, Fingerprint fingerprint) {
    }

    /** Size and modification time: a file that keeps both across two looks has been written. */
    record Fingerprint(long size, long modifiedNanos, Object fileKey) {
        static Fingerprint of(Path file) {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                return new Fingerprint(a.size(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS), Objects.toString(a.fileKey()));
            } catch (IOException e) {
                return null;
            }
        }
    }
}
