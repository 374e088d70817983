package dev.turnpike.runtime.plugin;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the plugin jars of the drop directory, each from a private staged copy with a PF4J manager
 * of its own (see the package documentation for why), and keeps the plugins it loaded until they
 * are closed.
 *
 * <p><b>Broken jars</b> (not a zip, no manifest, no {@code Plugin-Id} or {@code Plugin-Version},
 * a class using a host class outside the plugin API (see {@link PluginBoundary}), no or several
 * {@code ProxyPlugin} extensions, anything PF4J throws) are logged at WARN with the file and the
 * reason, and skipped; the other jars load.
 *
 * <p><b>Duplicate ids.</b> When several jars declare the same {@code Plugin-Id}, the last one by
 * file name that loads wins, and a WARN names each jar left out next to the one used. (So dropping
 * {@code foo-2.jar} next to {@code foo-1.jar} switches to it, and a broken newer jar falls back to
 * the older one, rather than the proxy losing the plugin altogether.)
 *
 * <p><b>Threads.</b> Not thread-safe, like PF4J underneath: construct it, call every method and
 * close it on the runtime's single management thread, never on an event loop.
 *
 * <p><b>Lifetime.</b> Every {@link LoadedPlugin} this host creates stays loaded until it is closed,
 * on its own (when a reload retires it) or by {@link #close()}. A new {@link #loadAll()} loads fresh
 * copies beside the current ones and does not close the previous ones: requests may still run on
 * their instances.
 */
public final class PluginHost implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PluginHost.class);

    private final DropDirectory dropDir;
    private final Path stagingDir;
    private final boolean ownsStagingDir;
    private final JarStager stager;
    private final ExtensionLoader extensionLoader;
    /** Every plugin created and not yet known to be closed, oldest first: what close() must close. */
    private final List<LoadedPlugin> open = new ArrayList<>();
    private Map<String, LoadedPlugin> current = Map.of();
    private boolean closed;

    /** A host staging into a new private directory under the system temp dir, deleted on close. */
    public PluginHost(Path dropDir) throws IOException {
        this(dropDir, null);
    }

    /**
     * @param dropDir    where users put plugin jars; it need not exist (then no plugin loads)
     * @param stagingDir where the private copies go, or {@code null} for a new directory under the
     *                   system temp dir (deleted on close). A directory given here is created if
     *                   missing and kept on close (only the copies made in it are deleted); it must
     *                   not lie inside {@code dropDir}.
     * @throws IOException when the staging directory cannot be created
     */
    public PluginHost(Path dropDir, Path stagingDir) throws IOException {
        this(dropDir, stagingDir, PluginBoundary.standard());
    }

    /** As {@link #PluginHost(Path, Path)}, with plugins seeing {@code boundary} of the host (tests). */
    PluginHost(Path dropDir, Path stagingDir, PluginBoundary boundary) throws IOException {
        this.dropDir = new DropDirectory(dropDir);
        if (stagingDir == null) {
            this.stagingDir = Files.createTempDirectory("turnpike-plugins-").toAbsolutePath();
            this.ownsStagingDir = true;
        } else {
            Path staging = stagingDir.toAbsolutePath().normalize();
            if (staging.startsWith(this.dropDir.path())) {
                // A staged copy would be picked up as a dropped plugin by the next scan.
                throw new IllegalArgumentException("the staging directory " + staging
                        + " must not be inside the plugin directory " + this.dropDir);
            }
            this.stagingDir = Files.createDirectories(staging);
            this.ownsStagingDir = false;
        }
        this.stager = new JarStager(this.stagingDir);
        this.extensionLoader = new ExtensionLoader(this.stagingDir, boundary);
    }

    /** The drop directory, absolute. */
    public Path dropDir() {
        return dropDir.path();
    }

    /** The private directory the staged copies live in, absolute. */
    public Path stagingDir() {
        return stagingDir;
    }

    /**
     * Loads every plugin jar of the drop directory (see the class documentation for what is
     * skipped and for duplicate ids) and makes the result {@link #plugins()}.
     *
     * @return plugin id → loaded plugin, sorted by id, unmodifiable
     * @throws IOException when the drop directory exists but cannot be listed
     */
    public Map<String, LoadedPlugin> loadAll() throws IOException {
        ensureOpen();
        if (!dropDir.exists()) {
            log.warn("plugin directory {} does not exist: no plugin loaded", dropDir);
            current = Map.of();
            return current;
        }
        Map<String, List<StagedJar>> byId = new TreeMap<>();
        for (Path file : dropDir.jars()) {
            try {
                StagedJar staged = stager.stage(file);
                byId.computeIfAbsent(staged.id(), k -> new ArrayList<>()).add(staged);
            } catch (PluginLoadException e) {
                logRefused(e);
            }
        }
        Map<String, LoadedPlugin> loaded = new LinkedHashMap<>();
        for (Map.Entry<String, List<StagedJar>> e : byId.entrySet()) {
            LoadedPlugin winner = loadLastThatLoads(e.getKey(), e.getValue());
            if (winner != null) {
                loaded.put(e.getKey(), winner);
            }
        }
        current = Collections.unmodifiableMap(loaded);
        log.info("loaded {} plugin(s) from {}: {}", loaded.size(), dropDir, loaded.values());
        return current;
    }

    /**
     * Loads one jar as a new plugin with its own manager, whatever is loaded already (a reload
     * loads the new version beside the old). It does not change {@link #plugins()}; the host still
     * closes it on {@link #close()}.
     *
     * @throws PluginLoadException when the jar is refused (not logged here: the caller decides)
     */
    public LoadedPlugin load(Path jar) throws PluginLoadException {
        ensureOpen();
        return register(extensionLoader.load(stager.stage(jar)));
    }

    /**
     * Forgets the plugins that have been closed, so that nothing here keeps their class loaders
     * reachable once a reload has unloaded them.
     */
    public void purgeClosed() {
        open.removeIf(LoadedPlugin::isClosed);
        if (current.values().stream().anyMatch(LoadedPlugin::isClosed)) {
            Map<String, LoadedPlugin> kept = new LinkedHashMap<>(current);
            kept.values().removeIf(LoadedPlugin::isClosed);
            current = Collections.unmodifiableMap(kept);
        }
    }

    /** What the last {@link #loadAll()} loaded (empty before it): id → plugin, unmodifiable. */
    public Map<String, LoadedPlugin> plugins() {
        return current;
    }

    /**
     * Closes every plugin this host loaded and has not closed yet (newest first), then deletes the
     * staging directory if the host created it. Call it after the chains built on these plugins
     * have been stopped. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        open.clear();
        current = Map.of();
        if (ownsStagingDir) {
            deleteTree(stagingDir);
        }
    }

    private LoadedPlugin loadLastThatLoads(String id, List<StagedJar> candidates) {
        LoadedPlugin winner = null;
        for (int i = candidates.size() - 1; i >= 0 && winner == null; i--) {
            try {
                winner = register(extensionLoader.load(candidates.get(i)));
            } catch (PluginLoadException e) {
                logRefused(e);
            }
        }
        for (StagedJar other : candidates) {
            if (winner != null && other.stagedPath().equals(winner.stagedPath())) {
                continue;
            }
            if (winner != null) {
                log.warn("plugin jars {} and {} both have Plugin-Id '{}': using {}, the last by file name that loads; "
                        + "remove the other", other.sourceFile(), winner.sourceFile(), id, winner.sourceFile().getFileName());
            }
            try {
                Files.deleteIfExists(other.stagedPath());
            } catch (IOException ex) {
                log.debug("cannot delete unused staged jar {}", other.stagedPath(), ex);
            }
        }
        return winner;
    }

    private LoadedPlugin register(LoadedPlugin plugin) {
        open.removeIf(LoadedPlugin::isClosed);
        open.add(plugin);
        log.info("loaded plugin {} from {}, staged at {}", plugin, plugin.sourceFile(), plugin.stagedPath());
        return plugin;
    }

    private static void logRefused(PluginLoadException e) {
        if (e.getCause() != null && !(e.getCause() instanceof java.util.zip.ZipException)) {
            log.warn("skipping plugin jar {}: {}", e.file(), e.reason(), e.getCause());
        } else {
            log.warn("skipping plugin jar {}: {}", e.file(), e.reason());
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("plugin host is closed");
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    if (e != null) {
                        throw e;
                    }
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            log.warn("cannot delete the plugin staging directory {}", root, e);
        }
    }
}
