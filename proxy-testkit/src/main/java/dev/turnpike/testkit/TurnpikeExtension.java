package dev.turnpike.testkit;

import dev.turnpike.runtime.Turnpike;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.config.ConfigException;
import dev.turnpike.runtime.config.ConfigLoader;
import dev.turnpike.runtime.plugin.ClassPathPlugin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.WeakReference;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Turnpike proxy in the test's JVM, started from a YAML snippet, as a JUnit 5 extension:
 *
 * <pre>{@code
 * static TestBackend backend = TestBackend.start();
 *
 * @RegisterExtension
 * static TurnpikeExtension proxy = TurnpikeExtension.builder()
 *         .backend("a", backend)
 *         .plugin("greeter", Greeter.class)            // from the class path
 *         .yaml("""
 *             plugins:
 *               chain:
 *                 - id: greeter
 *                 - id: testkit-upstream
 *                   config: { backend: ${backend.a} }
 *             """)
 *         .build();
 *
 * @Test void greets() { proxy.client().get("/").assertStatus(200).assertHeader("X-Greeting", "hello"); }
 * }</pre>
 *
 * <p><b>What it starts.</b> The configuration is the snippet with its placeholders filled in and the
 * test defaults added where the snippet says nothing ({@code server.listen} and {@code metrics.listen}
 * on ephemeral ports of 127.0.0.1, {@code plugins.dir} a fresh temp directory); see {@link TestConfig}
 * for the placeholders. It is written to a temp file and started through the runtime's public entry
 * point ({@code Turnpike.prepare(config, classPathPlugins).start()}), so it reloads, logs and counts
 * as in production.
 *
 * <p><b>Plugins</b> come from the class path ({@link TurnpikeBuilder#plugin}: no packaging, test
 * dependencies visible, no class-loader isolation; always with {@link FixedUpstream}) or from built
 * jars ({@link TurnpikeBuilder#jar}: copied into the plugin directory before the start and loaded as
 * production loads them, each in its own class loader behind the API boundary).
 *
 * <p><b>Lifetime.</b> Registered on a static field, the proxy starts before the class's first test
 * and stops after its last; with {@link TurnpikeBuilder#perTest()} or on an instance field, it starts
 * before and stops after each test. The {@link TestBackend}s given to the builder are closed after
 * the class's last test (on an instance field JUnit calls no "after all": close them yourself).
 * Outside JUnit, call {@link #start()}, and {@link #stop()} or {@link #close()} (which closes the
 * backends too).
 *
 * <p><b>Threads.</b> Call everything from the test thread (or any thread that is not an event loop);
 * the getters are safe from any thread once started.
 */
public final class TurnpikeExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback, AutoCloseable {

    private final String yaml;
    private final Map<String, TestBackend> backends;
    private final List<ClassPathPlugin> plugins;
    private final Map<Path, String> jars;
    private final boolean perTest;
    private final Duration requestTimeout;

    private Path dir;
    private Path pluginsDir;
    private Path configFile;
    private int chosenPort;
    private Turnpike turnpike;
    private AccessLogCapture accessLog;
    private LeakWatch leaks;
    private ProxyClient client;
    private boolean startedForOneTest;

    TurnpikeExtension(String yaml, Map<String, TestBackend> backends, List<ClassPathPlugin> plugins, Map<Path, String> jars,
            boolean perTest, Duration requestTimeout) {
        this.yaml = yaml;
        this.backends = Map.copyOf(backends);
        this.plugins = List.copyOf(plugins);
        this.jars = new LinkedHashMap<>(jars);
        this.perTest = perTest;
        this.requestTimeout = requestTimeout;
    }

    /** What the proxy starts with: see {@link TurnpikeBuilder}. */
    public static TurnpikeBuilder builder() {
        return new TurnpikeBuilder();
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void beforeAll(ExtensionContext context) {
        if (!perTest) {
            start();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (turnpike == null) {
            start(); // per test, or registered on an instance field (no beforeAll then)
            startedForOneTest = true;
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (startedForOneTest) {
            stop(); // the backends stay for the class's next tests
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    /**
     * Writes the configuration, copies the jars into the plugin directory and starts the proxy.
     *
     * @throws IllegalStateException when it is running already, or the proxy refuses to start
     *         (the message names the file, key and reason of a refused configuration)
     */
    public TurnpikeExtension start() {
        if (turnpike != null) {
            throw new IllegalStateException("the proxy is running already");
        }
        try {
            dir = Files.createTempDirectory("turnpike-testkit-");
            pluginsDir = Files.createDirectories(dir.resolve("plugins"));
            configFile = dir.resolve("proxy.yaml");
            for (Map.Entry<Path, String> j : jars.entrySet()) {
                Files.copy(j.getKey(), pluginsDir.resolve(j.getValue()));
            }
            accessLog = new AccessLogCapture();
            leaks = new LeakWatch();
            List<ClassPathPlugin> offered = new ArrayList<>(plugins);
            if (plugins.stream().noneMatch(p -> p.id().equals(FixedUpstream.ID))) {
                offered.add(new ClassPathPlugin(FixedUpstream.ID, "testkit", FixedUpstream.class, FixedUpstream::new));
            }
            turnpike = startOnAFreePort(offered);
            accessLog.attach(); // access_log.file replaces the logger's appenders at start
        } catch (ConfigException e) {
            stop();
            throw new IllegalStateException("the proxy refused the configuration: " + e.getMessage() + "\n" + text(configFile), e);
        } catch (IOException | RuntimeException e) {
            stop();
            throw new IllegalStateException("the proxy did not start: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
            throw new IllegalStateException("interrupted while starting the proxy", e);
        }
        InetSocketAddress a = turnpike.address();
        client = new ProxyClient(URI.create("http://127.0.0.1:" + (a == null ? 0 : a.getPort()) + "/"),
                URI.create("http://127.0.0.1:" + turnpike.metricsPort() + "/metrics"), accessLog, requestTimeout);
        return this;
    }

    /**
     * The runtime refuses port 0 for {@code server.listen}, so a port is found free and then bound;
     * another process may take it in between, and then the start is tried again on another.
     */
    private Turnpike startOnAFreePort(List<ClassPathPlugin> offered) throws IOException, InterruptedException, ConfigException {
        for (int attempt = 1; ; attempt++) {
            chosenPort = FreePort.find();
            Files.writeString(configFile, new TestConfig(backends, pluginsDir, chosenPort).render(yaml));
            Turnpike prepared = Turnpike.prepare(ConfigLoader.load(configFile), offered);
            try {
                return prepared.start();
            } catch (IOException e) {
                prepared.close();
                if (attempt == 3 || !FreePort.isBindFailure(e)) {
                    throw e;
                }
            }
        }
    }

    /** Stops the proxy ({@link #stop()}) and closes the backends given to the builder. Idempotent. */
    @Override
    public void close() {
        try {
            stop();
        } finally {
            backends.values().forEach(TestBackend::close);
        }
    }

    /**
     * Stops the proxy (graceful stop skipped) and deletes its temp directory; the backends stay.
     * Idempotent.
     *
     * @throws AssertionError after stopping, when Netty reported a buffer leak while the proxy ran
     */
    public void stop() {
        startedForOneTest = false;
        if (turnpike != null) {
            turnpike.close();
            turnpike = null;
        }
        if (accessLog != null) {
            accessLog.close();
            accessLog = null;
        }
        if (dir != null) {
            TempFiles.deleteTree(dir);
            dir = null;
        }
        if (leaks != null) {
            LeakWatch watched = leaks;
            leaks = null;
            try (watched) {
                watched.assertNone();
            }
        }
    }

    // ------------------------------------------------------------------ what a test sees

    /** {@code http://127.0.0.1:PORT/}: the cleartext listener. */
    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + port() + "/");
    }

    /** {@code path} on the proxy, e.g. {@code uri("/hello?x=1")}. */
    public URI uri(String path) {
        return baseUri().resolve(path);
    }

    /** The cleartext listener's port. */
    public int port() {
        InetSocketAddress a = running().address();
        if (a == null) {
            throw new IllegalStateException("the proxy has no cleartext listener (server.tls only)");
        }
        return a.getPort();
    }

    /** The admin (metrics) listener's port, or -1 with {@code metrics.enabled: false}. */
    public int metricsPort() {
        return running().metricsPort();
    }

    /** A client of this proxy, with assertions (shared: the same one every call until a restart). */
    public ProxyClient client() {
        running();
        return client;
    }

    /** The admin listener's {@code /metrics} text now. */
    public String metricsText() {
        return client().metrics().text();
    }

    /** The access-log lines captured since this start. */
    public AccessLogCapture accessLog() {
        running();
        return accessLog;
    }

    /** The plugin directory the proxy follows (jars dropped here load as in production). */
    public Path pluginsDir() {
        running();
        return pluginsDir;
    }

    /** The configuration file the proxy reads (as rendered from the snippet). */
    public Path configFile() {
        running();
        return configFile;
    }

    /** The runtime object itself, for what the testkit does not wrap. Its API is the runtime's, not a plugin API. */
    public Turnpike turnpike() {
        return running();
    }

    /**
     * Fails now if Netty reported a buffer leak since the start ({@link #stop()} checks it too).
     *
     * @throws AssertionError naming the first report
     */
    public void assertNoLeakReported() {
        running();
        leaks.assertNone();
    }

    /** The chain generation in force: 1 after start, one more per applied reload. */
    public long generation() {
        return running().reloader().generation();
    }

    // ------------------------------------------------------------------ reload

    /**
     * Replaces the configuration with {@code yamlSnippet} (placeholders and defaults as at start),
     * asks for a reload and waits until a new generation is in force.
     *
     * @throws AssertionError when the configuration is refused (the message says why) or no new
     *         generation comes in {@link Await#DEFAULT}
     */
    public void reload(String yamlSnippet) {
        Turnpike t = running();
        long before = t.reloader().generation();
        double refusedBefore = refusedReloads();
        String text = new TestConfig(backends, pluginsDir, chosenPort).render(yamlSnippet);
        writeAtomically(configFile, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        try {
            ConfigLoader.load(configFile);
        } catch (ConfigException e) {
            throw new AssertionError("the new configuration is refused: " + e.getMessage() + "\n" + text, e);
        }
        t.reloadConfig("testkit reload");
        Await.until("a new generation after the configuration reload", Await.DEFAULT, () -> {
            if (refusedReloads() > refusedBefore) {
                throw new AssertionError("the configuration reload was refused (the proxy's log says why):\n" + text);
            }
            return t.reloader().generation() > before;
        });
    }

    /**
     * Puts {@code jar} into the plugin directory as {@code fileName} (written beside it, then renamed
     * over, as a deploy should) and waits until the proxy has a new generation in force.
     *
     * @throws AssertionError when no new generation comes in {@link Await#DEFAULT} (a refused jar, or
     *         one with the bytes already loaded)
     */
    public void dropJar(Path jar, String fileName) {
        long before = generation();
        try {
            writeAtomically(pluginsDir().resolve(fileName), Files.readAllBytes(jar));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Await.until("a new generation after dropping " + fileName, Await.DEFAULT, () -> generation() > before);
    }

    /**
     * Weak references to the class loaders of the running instances of {@code pluginId} in the chain in
     * force (one per distinct loader), to watch that they are collected after a swap
     * ({@link ClassLoaders#awaitCollected}). Meant for plugins from jars: a class-path plugin's loader
     * is the test's own, never collected.
     */
    public List<WeakReference<ClassLoader>> pluginClassLoaders(String pluginId) {
        List<WeakReference<ClassLoader>> out = new ArrayList<>();
        for (ChainLink link : running().reloader().current().links()) {
            ClassLoader l = link.plugin().getClass().getClassLoader();
            if (link.pluginId().equals(pluginId) && out.stream().noneMatch(r -> r.get() == l)) {
                out.add(new WeakReference<>(l));
            }
        }
        if (out.isEmpty()) {
            throw new AssertionError("no plugin '" + pluginId + "' in the chain in force: " + running().reloader().current());
        }
        return out;
    }

    private double refusedReloads() {
        Double v = running().metrics().registry().getSampleValue("turnpike_reloads_total",
                new String[] {"kind", "result"}, new String[] {"config", "failed"});
        return v == null ? 0 : v;
    }

    private Turnpike running() {
        Turnpike t = turnpike;
        if (t == null) {
            throw new IllegalStateException("the proxy is not running (register the extension, or call start())");
        }
        return t;
    }

    private static void writeAtomically(Path target, byte[] bytes) {
        try {
            Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    private static String text(Path file) {
        try {
            return file == null ? "" : Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}
