package dev.turnpike.runtime.reload;

import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.config.ChainEntry;
import dev.turnpike.runtime.config.ConfigException;
import dev.turnpike.runtime.config.ConfigLoader;
import dev.turnpike.runtime.config.ProxyConfig;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.plugin.ClassPathPlugin;
import dev.turnpike.runtime.plugin.DropDirectory;
import dev.turnpike.runtime.plugin.LoadedPlugin;
import dev.turnpike.runtime.plugin.PluginHost;
import dev.turnpike.runtime.plugin.PluginServices;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the running proxy in step with its plugin directory and its configuration file, without a
 * restart and without failing a request.
 *
 * <ul>
 *   <li>A jar added, replaced or removed in the drop directory, once it has stopped changing (the
 *       same size and modification time at two looks {@value #SETTLE_MILLIS} ms apart), is loaded
 *       from a private copy with a manager of its own ({@link JarTracker}); a jar that does not load
 *       is logged and the version before it keeps serving.</li>
 *   <li>The configuration decides which plugins run, the drop directory only which versions there
 *       are: a removed jar whose plugin a required chain entry uses keeps its running version
 *       ({@link KeptPlugins}) until a configuration without that entry is in force. An optional
 *       entry whose plugin is gone leaves the chain ({@link LeftOutEntries}).</li>
 *   <li>An edit of the configuration file, or SIGHUP, reloads it; a file that is refused (syntax,
 *       an unknown key, a plugin refusing its section, a required entry whose plugin is not loaded)
 *       is logged and the configuration in force stays. Settings that need a restart are named in
 *       the log, not silently ignored.</li>
 *   <li>Either way a new chain is built beside the old one (entries whose plugin version and config
 *       did not change keep their running instance, and its state) and swapped in; the old one
 *       retires once its last request is done (see {@link Generations}).</li>
 * </ul>
 *
 * <p>Every PF4J call and all file I/O run on one management thread: PF4J is not thread-safe, and
 * none of it may ever run on an event loop.
 */
public final class Reloader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Reloader.class);

    static final long SETTLE_MILLIS = 200;
    /** A backstop for lost watch events. */
    private static final long RESCAN_MILLIS = 5_000;
    private static final long DRAIN_CHECK_MILLIS = 50;

    private final ScheduledExecutorService manager = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "turnpike-manage");
        t.setDaemon(true);
        return t;
    });
    private final PluginHost host;
    private final ProxyMetrics metrics;
    private final DropDirectory drop;
    private final Generations generations = new Generations();
    private ProxyConfig config;
    /** The configuration the proxy started with: restart-only settings keep these values. */
    private final ProxyConfig started;
    private String configText;
    /** The start's "generation 1 in force" line, which {@link #watch} logs (written at start, through {@link #call}). */
    private String startLine;

    /** The jars of the drop directory and the versions loaded from them. */
    private final JarTracker jars;
    /** Versions whose jar is gone that a required chain entry in force still runs. */
    private final KeptPlugins kept = new KeptPlugins();
    /** The optional entries the chain in force runs without. */
    private final LeftOutEntries leftOut = new LeftOutEntries();
    private final ChainSwapper swapper;
    /** Plugins of the host's class path (the testkit's), by id: loaded for the proxy's whole life. */
    private final Map<String, LoadedPlugin> classPath;

    private FileWatcher watcher;
    private ScheduledFuture<?> pendingRescan;
    private ScheduledFuture<?> pendingConfig;
    private volatile String status = "{}";

    private Reloader(ProxyConfig config, ProxyMetrics metrics, PluginServices services, List<ClassPathPlugin> classPath)
            throws IOException {
        this.classPath = LoadedPlugin.fromClassPath(classPath);
        this.config = config;
        this.started = config;
        this.metrics = metrics;
        this.drop = new DropDirectory(config.plugins().dir());
        this.host = new PluginHost(config.plugins().dir());
        this.jars = new JarTracker(drop, host, metrics);
        this.swapper = new ChainSwapper(generations, services, drop.path());
        this.configText = readQuietly(config.file());
    }

    /**
     * Loads the drop directory and starts the configured chain, with {@code classPath} plugins on offer
     * beside the directory's jars ({@link ClassPathPlugin}; none in production).
     *
     * @throws InvalidConfigException when a required chain entry's plugin is not loaded, or a plugin
     *         refuses its section (nothing is left running)
     * @throws IllegalArgumentException when two class-path plugins share an id
     */
    public static Reloader start(ProxyConfig config, ProxyMetrics metrics, PluginServices services,
            List<ClassPathPlugin> classPath) throws IOException {
        Reloader r = new Reloader(config, metrics, services, classPath);
        try {
            r.call(() -> {
                r.scanJars(true);
                if (r.rebuild("start").isPresent()) {
                    throw new IllegalStateException("unreachable: start refusals throw");
                }
                return null;
            });
            return r;
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    /** The chain new requests take (any thread). */
    public Supplier<Chain> chains() {
        return generations::current;
    }

    /** The chain in force now (any thread). */
    public Chain current() {
        return generations.current();
    }

    /**
     * Starts following the drop directory and the configuration file, and the housekeeping: retiring
     * drained generations, reporting class loaders that outlive their unload.
     */
    public void watch() throws IOException {
        if (startLine != null) {
            log.info(startLine);
            startLine = null;
        }
        watcher = new FileWatcher();
        if (Files.isDirectory(drop.path())) {
            watcher.watch(drop.path(), name -> manager.execute(() -> changed(name)));
        } else {
            log.warn("plugin directory {} does not exist: not watched (create it and send SIGHUP)", drop.path());
        }
        Path configDir = config.file().toAbsolutePath().getParent();
        String configName = config.file().getFileName().toString();
        if (configDir != null && Files.isDirectory(configDir)) {
            watcher.watch(configDir, name -> {
                if (name == null || name.equals(configName)) {
                    manager.execute(() -> scheduleConfigReload("the file changed"));
                }
            });
        }
        watcher.start();
        manager.scheduleWithFixedDelay(this::housekeeping, DRAIN_CHECK_MILLIS, DRAIN_CHECK_MILLIS, TimeUnit.MILLISECONDS);
        manager.scheduleWithFixedDelay(() -> guarded("rescan", () -> scanJars(false)), RESCAN_MILLIS, RESCAN_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    /** Reloads the configuration file now (SIGHUP). */
    public void reloadConfig(String why) {
        manager.execute(() -> guarded("config reload", () -> reloadConfigNow(why)));
    }

    /** The state of plugins and generations, as JSON (for the admin endpoint; any thread). */
    public String statusJson() {
        return status;
    }

    /** Weak references to the class loaders of unloaded plugin versions not yet collected (tests). */
    public List<WeakReference<ClassLoader>> retiredLoaders() {
        return call(generations::retiredLoaders);
    }

    /** The optional chain entries the chain in force runs without, each with why (any thread but the manager's). */
    public List<String> leftOutEntries() {
        return call(() -> leftOut.entries().stream().map(LeftOutEntries.LeftOut::reason).toList());
    }

    /** The current generation number: 1 after start, one more per applied reload. */
    public long generation() {
        return call(generations::generation);
    }

    // ------------------------------------------------------------------ plugin jars

    /** A file in the drop directory changed ({@code null}: anything may have). */
    private void changed(String name) {
        if (name != null && !DropDirectory.isCandidateName(name)) {
            return; // dot files, temp files, the Maven module folders
        }
        if (pendingRescan == null || pendingRescan.isDone()) {
            pendingRescan = manager.schedule(() -> guarded("rescan", () -> scanJars(false)), SETTLE_MILLIS,
                    TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Brings the known jars in line with the directory and rebuilds the chain if anything changed.
     * A version the chain in force needs (a required entry names its id) stays when its jar goes:
     * see {@link KeptPlugins}. {@code initial}: at start nothing waits to settle.
     */
    private void scanJars(boolean initial) throws IOException {
        JarTracker.Scan scan = jars.scan(initial);
        Map<String, LoadedPlugin> fromJars = available();
        for (LoadedPlugin p : kept.releaseProvided(fromJars)) {
            log.info("plugin {}: a jar provides '{}' again ({}); the kept version leaves once its requests are done",
                    p, p.id(), fromJars.get(p.id()));
        }
        List<KeptPlugins.Kept> newlyKept = kept.afterScan(config.chainEntries(), swapper.running(), fromJars);
        for (KeptPlugins.Kept k : newlyKept) {
            log.warn("plugin {}: {}, but chain entry {} uses it; keeping the running version; remove that entry "
                    + "from the configuration to take it out", k.plugin(), whatBecameOf(k.plugin()),
                    String.join(", ", k.entries().stream().map(ChainEntry::path).toList()));
        }
        for (JarTracker.Removed r : scan.removed()) {
            if (!kept.keeps(r.plugin())) {
                log.info("plugin jar {} removed: {} leaves once its requests are done", r.file().getFileName(), r.plugin());
            }
        }
        if (scan.changed() && !initial) {
            rebuild("plugin jars changed").ifPresent(refusal -> log.error(
                    "plugin reload (plugin jars changed) refused: {}; generation {} stays in force", refusal,
                    generations.generation()));
        }
        // Versions that left the directory and that no chain runs (never in the chain, or the swap
        // failed) go now; the others when the generations holding them retire.
        generations.unloadUnused(scan.replaced(), loadedVersions());
        host.purgeClosed();
        if (scan.waiting()) {
            pendingRescan = manager.schedule(() -> guarded("rescan", () -> scanJars(false)), SETTLE_MILLIS,
                    TimeUnit.MILLISECONDS);
        }
        if (scan.changed() || scan.refusalsChanged()) {
            updateStatus();
        }
    }

    /** "jar x.jar removed", or what the file that held it holds now. */
    private static String whatBecameOf(LoadedPlugin p) {
        String name = p.sourceFile().getFileName().toString();
        return Files.exists(p.sourceFile()) ? "its jar " + name + " no longer provides it" : "jar " + name + " removed";
    }

    /** The versions to keep loaded: the drop directory's, the class path's, and the ones kept for the chain. */
    private List<LoadedPlugin> loadedVersions() {
        List<LoadedPlugin> out = new ArrayList<>(jars.versions());
        out.addAll(classPath.values());
        out.addAll(kept.versions());
        return out;
    }

    /** The plugins on offer by id: the class path's, a jar of the drop directory in place of one with its id. */
    private Map<String, LoadedPlugin> available() {
        Map<String, LoadedPlugin> out = new LinkedHashMap<>(classPath);
        out.putAll(jars.plugins());
        return out;
    }

    // ------------------------------------------------------------------ the chain

    /**
     * Builds the chain of the configuration in force from the plugins in force and swaps it in.
     * Returns why (file, key and reason), leaving everything as it was, when the chain is refused: a
     * required entry whose plugin is not loaded, a plugin refusing its section; the caller logs it.
     * At start that refusal is thrown.
     */
    private Optional<String> rebuild(String why) {
        long start = System.nanoTime();
        List<ChainEntry> entries = config.chainEntries();
        Map<String, LoadedPlugin> plugins = kept.overlay(available(), entries);
        ChainSwapper.Outcome outcome = swapper.swap(entries, plugins);
        if (outcome instanceof ChainSwapper.Refused refusal) {
            if (why.equals("start")) {
                throw refusal.reason();
            }
            metrics.reloaded(kindOf(why), false);
            return Optional.of(ConfigException.of(config.file(), refusal.reason()).getMessage());
        }
        ChainSwapper.Swapped swapped = (ChainSwapper.Swapped) outcome;
        if (!why.equals("start")) {
            metrics.reloaded(kindOf(why), true);
        }
        for (LoadedPlugin p : kept.retainNamedBy(entries)) {
            log.info("plugin {}: no required chain entry names it any more and its jar is gone; it leaves once its "
                    + "requests are done", p);
        }
        leftOut.update(swapped.plan());
        for (LoadedPlugin p : plugins.values()) {
            if (!swapped.used().contains(p)) {
                log.info("plugin {} is loaded but not in plugins.chain: not used (add it to the chain to use it)", p);
            }
        }
        String inForce = why + ": generation " + generations.generation() + " in force (" + (System.nanoTime() - start) / 1_000_000
                + " ms, " + swapped.kept() + " instance(s) kept): " + swapped.chain();
        if (why.equals("start")) {
            startLine = inForce; // logged once the proxy serves: a --check run never speaks of generations
        } else {
            log.info(inForce);
        }
        updateStatus();
        return Optional.empty();
    }

    private static String kindOf(String why) {
        return why.startsWith("plugin") ? "plugins" : "config";
    }

    // ------------------------------------------------------------------ the configuration file

    private void scheduleConfigReload(String why) {
        if (pendingConfig == null || pendingConfig.isDone()) {
            // Editors write in steps (truncate, write, rename): read once they are done.
            pendingConfig = manager.schedule(() -> guarded("config reload", () -> reloadConfigNow(why)), SETTLE_MILLIS,
                    TimeUnit.MILLISECONDS);
        }
    }

    private void reloadConfigNow(String why) {
        String text = readQuietly(config.file());
        if (text != null && text.equals(configText) && why.equals("the file changed")) {
            return; // touched, not changed
        }
        ProxyConfig next;
        try {
            next = ConfigLoader.load(config.file());
        } catch (ConfigException e) {
            metrics.reloaded("config", false);
            log.error("configuration reload ({}) refused: {}; the running configuration stays in force", why, e.getMessage());
            configText = text;
            return;
        }
        for (String setting : RestartOnly.differences(started, next)) {
            log.warn("configuration reload ({}): {} needs a restart; the old value stays in force until then", why, setting);
        }
        next = RestartOnly.withRunningListeners(next, config, started);
        ProxyConfig previous = config;
        config = next;
        configText = text;
        Optional<String> refusal = rebuild("configuration reloaded (" + why + ")");
        if (refusal.isPresent()) {
            config = previous;
            log.error("configuration reload ({}) refused: {}; the running configuration stays in force", why, refusal.get());
        }
    }

    // ------------------------------------------------------------------ housekeeping

    private void housekeeping() {
        guarded("housekeeping", () -> {
            if (generations.retireDrained(loadedVersions()) > 0) {
                host.purgeClosed();
                updateStatus();
            }
            generations.activateDue((link, e) -> {
                metrics.pluginFailed(link.pluginId(), "activated");
                log.warn("plugin {} {} threw in activated(): {}", link.pluginId(), link.version(), e.toString(), e);
            });
            generations.reportLeaks();
        });
    }

    private void updateStatus() {
        status = StatusJson.of(new StatusJson.View(generations.generation(), generations.current(), jars.versions(),
                kept.versions(), jars.refused(), leftOut.entries(), generations.retiringCount(), generations.retiredLoaders().size(),
                config.file()));
    }

    /** Runs a management task, logging (never propagating) what goes wrong, so the thread survives. */
    private void guarded(String what, IoTask task) {
        try {
            task.run();
        } catch (Exception | LinkageError e) {
            log.error("{} failed", what, e);
        }
    }

    /** Runs {@code task} on the management thread and waits for it (start, tests, status). */
    private <T> T call(Callable<T> task) {
        try {
            return manager.submit(task).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException) {
                throw (RuntimeException) c;
            }
            if (c instanceof Error) {
                throw (Error) c;
            }
            throw new IllegalStateException(c);
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return null;
        }
    }

    /** Stops watching, stops every chain and unloads every plugin. */
    @Override
    public void close() {
        if (watcher != null) {
            watcher.close();
        }
        try {
            manager.submit(() -> {
                generations.stopAll();
                host.close();
            }).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("stopping plugins did not finish cleanly", e);
        }
        manager.shutdownNow();
    }

    @FunctionalInterface
    private interface IoTask {
        void run() throws Exception;
    }
}
