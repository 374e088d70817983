package dev.turnpike.runtime.reload;

import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.config.ChainEntry;
import dev.turnpike.runtime.config.ConfigException;
import dev.turnpike.runtime.config.ConfigLoader;
import dev.turnpike.runtime.config.ProxyConfig;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.plugin.CarriedStates;
import dev.turnpike.runtime.plugin.ChainFactory;
import dev.turnpike.runtime.plugin.PluginServices;
import dev.turnpike.runtime.plugin.DropDirectory;
import dev.turnpike.runtime.plugin.LoadedPlugin;
import dev.turnpike.runtime.plugin.PluginHost;
import dev.turnpike.runtime.plugin.PluginLoadException;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
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
 *       from a private copy with a manager of its own; a jar that does not load is logged and the
 *       version before it keeps serving.</li>
 *   <li>An edit of the configuration file, or SIGHUP, reloads it; a file that is refused (syntax,
 *       an unknown key, a plugin refusing its section) is logged and the configuration in force
 *       stays. Settings that need a restart are named in the log, not silently ignored.</li>
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
    /** A jar modified less than this long ago that does not load is given more time before it is refused. */
    static final long YOUNG_FILE_MILLIS = 2_000;
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

    /** The jars of the drop directory, by file, with the version loaded from each. */
    private final Map<Path, Jar> jars = new TreeMap<>();
    /** Files seen changing, with what they looked like at the last look: loaded once they settle. */
    private final Map<Path, Fingerprint> settling = new HashMap<>();
    /** Files refused as they are now: tried again only once they change. */
    private final Map<Path, Fingerprint> refused = new HashMap<>();
    /** Where each running instance came from, to keep unchanged ones across reloads. */
    private final Map<ChainLink, Origin> origins = new IdentityHashMap<>();
    /** What each chain entry's instances hand to the next one across reloads. */
    private final CarriedStates carriedStates = new CarriedStates();
    private final PluginServices services;

    private FileWatcher watcher;
    private ScheduledFuture<?> pendingRescan;
    private ScheduledFuture<?> pendingConfig;
    private volatile String status = "{}";

    private Reloader(ProxyConfig config, ProxyMetrics metrics, PluginServices services) throws IOException {
        this.config = config;
        this.services = services;
        this.started = config;
        this.metrics = metrics;
        this.drop = new DropDirectory(config.plugins().dir());
        this.host = new PluginHost(config.plugins().dir());
        this.configText = readQuietly(config.file());
    }

    /**
     * Loads the drop directory and starts the configured chain.
     *
     * @throws InvalidConfigException when a plugin refuses its section (nothing is left running)
     */
    public static Reloader start(ProxyConfig config, ProxyMetrics metrics, PluginServices services) throws IOException {
        Reloader r = new Reloader(config, metrics, services);
        try {
            r.call(() -> {
                r.scanJars(true);
                if (!r.rebuild("start")) {
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
     * Brings {@link #jars} in line with the directory: loads settled new or changed jars, forgets
     * removed ones, and rebuilds the chain if anything changed. {@code initial}: at start nothing
     * waits to settle.
     */
    private void scanJars(boolean initial) throws IOException {
        List<Path> files = drop.exists() ? drop.jars() : List.of();
        boolean changed = false;
        boolean waiting = false;
        List<LoadedPlugin> replaced = new ArrayList<>();
        for (Path file : files) {
            Fingerprint now = Fingerprint.of(file);
            if (now == null) {
                continue; // vanished between listing and looking
            }
            Jar known = jars.get(file);
            if (known != null && known.fingerprint.equals(now) || now.equals(refused.get(file))) {
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
                refused.put(file, now);
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
        for (Path gone : new ArrayList<>(jars.keySet())) {
            if (!present.contains(gone)) {
                Jar j = jars.remove(gone);
                replaced.add(j.plugin);
                changed = true;
                log.info("plugin jar {} removed: {} leaves once its requests are done", gone.getFileName(), j.plugin);
            }
        }
        settling.keySet().retainAll(present);
        refused.keySet().retainAll(present);
        if (changed && !initial) {
            rebuild("plugin jars changed");
        }
        // Versions that left the directory and that no chain runs (never in the chain, or the swap
        // failed) go now; the others when the generations holding them retire.
        generations.unloadUnused(replaced, loadedVersions());
        host.purgeClosed();
        if (waiting) {
            pendingRescan = manager.schedule(() -> guarded("rescan", () -> scanJars(false)), SETTLE_MILLIS,
                    TimeUnit.MILLISECONDS);
        }
        if (changed) {
            updateStatus();
        }
    }

    /** The plugin versions the drop directory holds now, one per id: the last file by name wins. */
    private Map<String, LoadedPlugin> effectivePlugins() {
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

    private List<LoadedPlugin> loadedVersions() {
        List<LoadedPlugin> out = new ArrayList<>();
        jars.values().forEach(j -> out.add(j.plugin));
        return out;
    }

    // ------------------------------------------------------------------ the chain

    /**
     * Builds the chain of the configuration in force from the plugins in force and swaps it in.
     * Returns false (and leaves everything as it was) when a plugin refuses its section; at start
     * that refusal is thrown instead.
     */
    private boolean rebuild(String why) {
        long start = System.nanoTime();
        Map<String, LoadedPlugin> plugins = effectivePlugins();
        Map<ChainLink, Origin> available = new IdentityHashMap<>(origins);
        Map<ChainLink, Origin> kept = new IdentityHashMap<>();
        Map<ChainLink, Origin> fresh = new IdentityHashMap<>();
        List<ChainEntry> linked = new ArrayList<>(); // the entries the chain's links are made for, in order
        Chain next;
        CarriedStates.Build carried = carriedStates.begin();
        try {
            next = new ChainFactory(drop.path(), services).build(config.plugins().chain(), plugins,
                    (entry, plugin) -> {
                        linked.add(entry);
                        for (Map.Entry<ChainLink, Origin> e : available.entrySet()) {
                            // Read both before removing: an IdentityHashMap entry is a view of its slot.
                            ChainLink link = e.getKey();
                            Origin origin = e.getValue();
                            if (origin.plugin == plugin && origin.config.equals(entry.rawConfig())) {
                                available.remove(link);
                                kept.put(link, origin);
                                return link;
                            }
                        }
                        return null;
                    }, carried);
        } catch (InvalidConfigException e) {
            if (why.equals("start")) {
                throw e;
            }
            metrics.reloaded(kindOf(why), false);
            log.error("reload ({}) refused: {}; generation {} stays in force", why,
                    ConfigException.of(config.file(), e).getMessage(), generations.generation());
            return false;
        }
        Set<LoadedPlugin> used = new HashSet<>();
        for (int i = 0; i < next.size(); i++) {
            ChainLink link = next.link(i);
            Origin o = kept.get(link);
            if (o == null) {
                o = new Origin(plugins.get(link.pluginId()), linked.get(i).rawConfig());
                fresh.put(link, o);
            }
            used.add(o.plugin);
        }
        origins.clear();
        origins.putAll(kept);
        origins.putAll(fresh);
        generations.swap(next, used);
        carried.commit();
        if (!why.equals("start")) {
            metrics.reloaded(kindOf(why), true);
        }
        for (LoadedPlugin p : plugins.values()) {
            if (!used.contains(p)) {
                log.info("plugin {} is loaded but not in plugins.chain: not used (add it to the chain to use it)", p);
            }
        }
        log.info("{}: generation {} in force ({} ms, {} instance(s) kept): {}", why, generations.generation(),
                (System.nanoTime() - start) / 1_000_000, kept.size(), next);
        updateStatus();
        return true;
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
            log.error("configuration reload ({}) refused: {}; the configuration in force stays", why, e.getMessage());
            configText = text;
            return;
        }
        for (String setting : RestartOnly.differences(started, next)) {
            log.warn("configuration reload: {} changed, which takes effect only after a restart; it keeps its old value until then",
                    setting);
        }
        ProxyConfig previous = config;
        config = next;
        configText = text;
        if (!rebuild("configuration reloaded (" + why + ")")) {
            config = previous;
        }
    }

    // ------------------------------------------------------------------ housekeeping

    private void housekeeping() {
        guarded("housekeeping", () -> {
            if (generations.retireDrained(loadedVersions()) > 0) {
                host.purgeClosed();
                updateStatus();
            }
            generations.reportLeaks();
        });
    }

    private void updateStatus() {
        status = StatusJson.of(generations.generation(), generations.current(), jars.values().stream().map(j -> j.plugin).toList(),
                generations.retiringCount(), generations.retiredLoaders().size(), config.file());
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

    /** A jar of the drop directory: the version loaded from it and what the file looked like then. */
    private record Jar(LoadedPlugin plugin, Fingerprint fingerprint) {
    }

    /** What a running instance was made from. */
    private record Origin(LoadedPlugin plugin, Map<String, Object> config) {
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
