package dev.turnpike.testkit.phases;

import dev.turnpike.api.ChainKind;
import dev.turnpike.api.ConnectionPlugin;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The {@link PluginContext} one plugin instance gets at start, as the runtime makes it for a chain
 * entry: the entry's {@code config:} mapping as a {@link ConfigSection} under the entry's path
 * ({@value #HTTP_PATH} by default, {@value #TCP_PATH} for a tcp chain), with a
 * {@link FakeMetrics}, a {@link FakeEventLoop}, {@link FakeHealthProbes} and a carried-state map
 * the test can read and drive.
 *
 * <p>{@link #start} starts a plugin the way the runtime does and refuses what it refuses, with the
 * same {@link InvalidConfigException}s: the plugin's own (its key put under the section's path
 * when the plugin left it out, or the misspelt key behind it: {@link ConfigSection#startRefusal}), a plugin that throws anything else ({@code <entry>: plugin <id>
 * failed to start: <message>}), a plugin without connection phases in a tcp chain
 * ({@code <entry>.id}), and a key of the section that the plugin never read
 * ({@code <key path>: unknown key <key>}, with a "did you mean" for a close one; the instance is
 * stopped first).
 *
 * <p>Set the context up (id, version, chain kind, path, shared parts) before the plugin reads its
 * config: the section is made on the first {@link #config()} and a setter afterwards throws
 * {@link IllegalStateException}. One context per instance, as in the runtime: for the next
 * instance of the same entry (a reload), use {@link #next}. Thread-safe where the API says so
 * (metrics, carried state, probes); the rest is for the test's thread.
 */
public final class FakePluginContext implements PluginContext {

    /** Where the runtime puts the config of the first entry of {@code plugins.chain}. */
    public static final String HTTP_PATH = "plugins.chain[0].config";

    /** Where it puts the config of the first entry of the first tcp listener's chain. */
    public static final String TCP_PATH = "tcp[0].chain[0].config";

    private final Map<String, Object> raw;
    private String pluginId = "test-plugin";
    private String pluginVersion = "0.0.0-test";
    private ChainKind chainKind = ChainKind.HTTP;
    private String path;
    private FakeMetrics metrics = new FakeMetrics();
    private FakeEventLoop executor;
    private FakeHealthProbes probes = new FakeHealthProbes();
    private ConcurrentMap<String, Object> carriedState = new ConcurrentHashMap<>();
    private ConfigSection config;

    /** A context over this {@code config:} mapping (as YAML parses it: maps, lists, strings, numbers, booleans). */
    public FakePluginContext(Map<String, ?> config) {
        // YAML mappings may hold null values, which Map.copyOf refuses.
        this.raw = new LinkedHashMap<>(Objects.requireNonNull(config, "config"));
    }

    /** A context with an empty config (a chain entry without {@code config:}). */
    public FakePluginContext() {
        this(Map.of());
    }

    /** An ordered mapping from alternating keys and values, as YAML would give it: {@code mapping("burst", 5, "key", "ip")}. */
    public static Map<String, Object> mapping(Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("a mapping comes as key, value pairs: got " + keysAndValues.length + " items");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    // ---- set-up ----

    public FakePluginContext pluginId(String id) {
        checkNotRead();
        this.pluginId = Objects.requireNonNull(id, "id");
        return this;
    }

    public FakePluginContext pluginVersion(String version) {
        checkNotRead();
        this.pluginVersion = Objects.requireNonNull(version, "version");
        return this;
    }

    /** Which chain the entry is in; the default path follows ({@value #HTTP_PATH} or {@value #TCP_PATH}). */
    public FakePluginContext chainKind(ChainKind kind) {
        checkNotRead();
        this.chainKind = Objects.requireNonNull(kind, "kind");
        return this;
    }

    /** The config section's path in the file, e.g. {@code plugins.chain[2].config}. */
    public FakePluginContext path(String configPath) {
        checkNotRead();
        this.path = Objects.requireNonNull(configPath, "configPath");
        return this;
    }

    /** Metrics shared with another context (two instances, or generations, of one process). */
    public FakePluginContext metrics(FakeMetrics metrics) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        return this;
    }

    public FakePluginContext executor(FakeEventLoop loop) {
        this.executor = Objects.requireNonNull(loop, "loop");
        return this;
    }

    public FakePluginContext probes(FakeHealthProbes probes) {
        this.probes = Objects.requireNonNull(probes, "probes");
        return this;
    }

    /** The carried-state map this instance gets (by default an empty one of its own). */
    public FakePluginContext carriedState(ConcurrentMap<String, Object> state) {
        this.carriedState = Objects.requireNonNull(state, "state");
        return this;
    }

    /**
     * The context of the next instance of this chain entry, as a reload makes it: same id,
     * version, kind and path, a fresh section over {@code newConfig}, the same metrics, loop and
     * probes, and a copy of the carried state as this instance has it now (the same value objects).
     */
    public FakePluginContext next(Map<String, ?> newConfig) {
        FakePluginContext n = new FakePluginContext(newConfig);
        n.pluginId = pluginId;
        n.pluginVersion = pluginVersion;
        n.chainKind = chainKind;
        n.path = configPath();
        n.metrics = metrics;
        n.executor = executor();
        n.probes = probes;
        n.carriedState = new ConcurrentHashMap<>(carriedState);
        return n;
    }

    // ---- starting a plugin ----

    /**
     * Starts {@code plugin} with this context as the runtime starts a chain entry, and refuses what
     * the runtime refuses (see the class comment). Runs on the calling thread, which stands for the
     * runtime's management thread.
     *
     * @return the started plugin
     * @throws InvalidConfigException as the runtime would refuse the configuration
     */
    public <P extends ProxyPlugin<?>> P start(P plugin) {
        String entry = entryPath();
        if (chainKind == ChainKind.TCP && !(plugin instanceof ConnectionPlugin<?>)) {
            throw new InvalidConfigException(entry + ".id", "plugin " + pluginId
                    + " has no connection-level phases (its extension does not implement "
                    + ConnectionPlugin.class.getName() + "), so it cannot serve a tcp listener's chain");
        }
        try {
            plugin.start(this);
        } catch (InvalidConfigException e) {
            throw config().startRefusal(e);
        } catch (Exception | LinkageError e) {
            String message = e.getMessage() != null ? e.getMessage() : e.toString();
            InvalidConfigException refused = new InvalidConfigException(entry, "plugin " + pluginId + " failed to start: " + message);
            refused.initCause(e);
            throw refused;
        }
        Optional<InvalidConfigException> unknown = config().unknownKey();
        if (unknown.isPresent()) {
            plugin.stop();
            throw unknown.get();
        }
        return plugin;
    }

    // ---- PluginContext ----

    @Override
    public String pluginId() {
        return pluginId;
    }

    @Override
    public String pluginVersion() {
        return pluginVersion;
    }

    @Override
    public ChainKind chainKind() {
        return chainKind;
    }

    /** The section, made on first use over the config mapping; its {@link ConfigSection#unreadKeys()} tells what the plugin left unread. */
    @Override
    public synchronized ConfigSection config() {
        if (config == null) {
            config = ConfigSection.of(configPath(), raw);
        }
        return config;
    }

    @Override
    public FakeMetrics metrics() {
        return metrics;
    }

    /** The plugin's loop, made on first use (the runtime, too, picks one only when asked). */
    @Override
    public synchronized FakeEventLoop executor() {
        if (executor == null) {
            executor = new FakeEventLoop();
        }
        return executor;
    }

    @Override
    public FakeHealthProbes probes() {
        return probes;
    }

    @Override
    public ConcurrentMap<String, Object> carriedState() {
        return carriedState;
    }

    /** The section's path: as set, or the default for the chain kind. */
    public String configPath() {
        return path != null ? path : chainKind == ChainKind.TCP ? TCP_PATH : HTTP_PATH;
    }

    /** The chain entry's path (the section's without {@code .config}), which the runtime's start refusals name. */
    public String entryPath() {
        String p = configPath();
        return p.endsWith(".config") ? p.substring(0, p.length() - ".config".length()) : p;
    }

    private synchronized void checkNotRead() {
        if (config != null) {
            throw new IllegalStateException("set the context up before the plugin reads its config");
        }
    }
}
