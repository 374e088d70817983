package dev.turnpike.runtime.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.runtime.plugin.testplugins.Recorder;
import dev.turnpike.runtime.plugin.testplugins.Silent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginHostTest {

    @TempDir
    Path drop;

    private PluginHost host;
    private LogCapture hostLog;

    @BeforeEach
    void setUp() throws IOException {
        host = TestJars.hostSharingJournal(drop);
        hostLog = LogCapture.of(PluginHost.class);
    }

    @AfterEach
    void tearDown() {
        hostLog.close();
        host.close();
    }

    private static PluginContext context(ConfigSection config) {
        return new StartContext("load-balancer", "test", config,
                PluginServices.withoutLoops(dev.turnpike.api.metrics.PluginMetrics.noop()), new java.util.concurrent.ConcurrentHashMap<>());
    }

    /** A started load-balancer instance of {@code plugin} over two backends. */
    private static ProxyPlugin<Object> startedLoadBalancer(LoadedPlugin plugin) throws Exception {
        @SuppressWarnings("unchecked")
        ProxyPlugin<Object> rr = (ProxyPlugin<Object>) plugin.newInstance();
        rr.start(context(ConfigSection.of("plugins.chain[0].config", Map.of("backends", List.of("a:1", "b:2")))));
        return rr;
    }

    private static List<String> nextPeers(ProxyPlugin<Object> rr, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Outcome o = rr.upstreamPeer(null, rr.newContext(null));
            assertEquals(Outcome.Kind.UPSTREAM, o.kind());
            out.add(o.peer().address());
        }
        return out;
    }

    private static Set<String> fileNames(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    private String warningAbout(String fileName) {
        return hostLog.messages(Level.WARN).stream()
                .filter(m -> m.contains(drop.resolve(fileName).toString()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no warning names " + fileName + "; warnings: "
                        + hostLog.messages(Level.WARN)));
    }

    @Test
    void loadsTheLoadBalancerJarWhoseInstancesRotate() throws Exception {
        TestJars.copyLoadBalancer(drop, "load-balancer.jar");

        Map<String, LoadedPlugin> loaded = host.loadAll();

        assertEquals(Set.of("load-balancer"), loaded.keySet());
        LoadedPlugin rr = loaded.get("load-balancer");
        assertEquals("load-balancer", rr.id());
        assertTrue(rr.version().matches("\\d+\\.\\d+\\.\\d+.*"), rr.version());
        assertEquals("dev.turnpike.plugins.loadbalancer.LoadBalancer", rr.extensionClass().getName());
        assertSame(loaded, host.plugins());
        assertEquals(List.of("a:1", "b:2", "a:1", "b:2"), nextPeers(startedLoadBalancer(rr), 4));
    }

    @Test
    void everyInstanceIsNewAndComesFromThePluginsOwnClassLoader() throws Exception {
        TestJars.copyLoadBalancer(drop, "load-balancer.jar");
        LoadedPlugin rr = host.loadAll().get("load-balancer");

        ProxyPlugin<?> first = rr.newInstance();
        ProxyPlugin<?> second = rr.newInstance();

        assertNotSame(first, second);
        assertSame(rr.classLoader(), first.getClass().getClassLoader());
        assertNotSame(getClass().getClassLoader(), rr.classLoader());
    }

    @Test
    void ignoresDirectoriesDotFilesAndTemporaryFiles() throws Exception {
        TestJars.copyLoadBalancer(drop, "load-balancer.jar");
        // The Maven module of a bundled plugin lives next to the built jars.
        Path module = Files.createDirectories(drop.resolve("load-balancer/src/main/java"));
        Files.writeString(module.getParent().getParent().getParent().resolve("pom.xml"), "<project/>");
        Files.createDirectories(drop.resolve("looks-like.jar"));
        Files.writeString(drop.resolve(".half-copied.jar"), "partial");
        Files.writeString(drop.resolve("upload.jar.tmp"), "partial");
        Files.writeString(drop.resolve("README.md"), "# plugins");

        Map<String, LoadedPlugin> loaded = host.loadAll();

        assertEquals(Set.of("load-balancer"), loaded.keySet());
        assertEquals(List.of(), hostLog.messages(Level.WARN), "nothing there is a broken plugin");
        assertEquals(1, fileNames(host.stagingDir()).size(), "only the one jar is staged");
    }

    @Test
    void skipsBrokenJarsNamingFileAndReasonAndLoadsTheRest() throws Exception {
        TestJars.copyLoadBalancer(drop, "load-balancer.jar");
        byte[] junk = new byte[4096];
        new Random(42).nextBytes(junk);
        Files.write(drop.resolve("junk.jar"), junk);
        Files.write(drop.resolve("empty.jar"), new byte[0]);
        TestJars.zipWithoutManifest(drop, "no-manifest.jar");
        TestJars.jar(drop, "no-id.jar", Map.of("Plugin-Version", "1.0.0"), List.of(Recorder.class.getName()), Recorder.class);
        TestJars.jar(drop, "no-version.jar", Map.of("Plugin-Id", "no-version"), List.of(Recorder.class.getName()), Recorder.class);
        TestJars.jar(drop, "sneaky-id.jar", Map.of("Plugin-Id", "../../etc", "Plugin-Version", "1"), List.of());
        TestJars.jar(drop, "no-extension.jar", Map.of("Plugin-Id", "no-extension", "Plugin-Version", "1.0.0"), List.of());
        TestJars.jar(drop, "two-extensions.jar", Map.of("Plugin-Id", "two", "Plugin-Version", "1.0.0"),
                List.of(Recorder.class.getName(), Silent.class.getName()), Recorder.class, Silent.class);
        TestJars.jar(drop, "bad-plugin-class.jar", Map.of("Plugin-Id", "bad-class", "Plugin-Version", "1.0.0",
                "Plugin-Class", "com.example.Missing"), List.of(Silent.class.getName()), Silent.class);
        TestJars.jar(drop, "shaded-api.jar", Map.of("Plugin-Id", "shaded", "Plugin-Version", "1.0.0"),
                List.of(Silent.class.getName()), Silent.class, ProxyPlugin.class);

        Map<String, LoadedPlugin> loaded = host.loadAll();

        assertEquals(Set.of("load-balancer"), loaded.keySet());
        Map<String, String> reasons = Map.of(
                "junk.jar", "not a jar (zip) file",
                "empty.jar", "not a jar (zip) file",
                "no-manifest.jar", "no META-INF/MANIFEST.MF",
                "no-id.jar", "no Plugin-Id",
                "no-version.jar", "no Plugin-Version",
                "sneaky-id.jar", "Plugin-Id '../../etc' has characters",
                "no-extension.jar", "no @Extension implementing dev.turnpike.api.ProxyPlugin",
                "two-extensions.jar", "2 ProxyPlugin extensions",
                "bad-plugin-class.jar", "Plugin-Class 'com.example.Missing' cannot be created",
                "shaded-api.jar", "bundles the Turnpike API classes");
        reasons.forEach((file, reason) -> {
            String warning = warningAbout(file);
            assertTrue(warning.contains(reason), file + ": " + warning);
        });
        // A refused jar leaves nothing behind in the staging directory.
        assertEquals(Set.of(loaded.get("load-balancer").stagedPath().getFileName().toString()),
                fileNames(host.stagingDir()));
        // The broken ones did not disturb the good one.
        assertEquals(List.of("a:1", "b:2"), nextPeers(startedLoadBalancer(loaded.get("load-balancer")), 2));
    }

    @Test
    void stagesAPrivateCopyAndKeepsWorkingWhenTheDroppedFileIsDeleted() throws Exception {
        Path dropped = TestJars.copyLoadBalancer(drop, "load-balancer.jar");
        String sha = sha256(dropped);

        LoadedPlugin rr = host.loadAll().get("load-balancer");

        assertEquals(sha, rr.sha256());
        assertEquals(dropped.toAbsolutePath(), rr.sourceFile());
        Path staged = rr.stagedPath();
        assertFalse(staged.startsWith(drop.toAbsolutePath()), staged + " must be outside " + drop);
        assertEquals(host.stagingDir(), staged.getParent());
        assertEquals("load-balancer-" + rr.version() + "-" + sha.substring(0, 16) + ".jar", staged.getFileName().toString());
        assertEquals(sha, sha256(staged));
        assertTrue(host.stagingDir().getFileName().toString().startsWith("turnpike-plugins-"));
        assertEquals(Paths.get(System.getProperty("java.io.tmpdir")).toAbsolutePath(), host.stagingDir().getParent());

        Files.delete(dropped);

        assertEquals(List.of("a:1", "b:2", "a:1"), nextPeers(startedLoadBalancer(rr), 3));
    }

    @Test
    void sameJarLoadedTwiceGetsTwoIndependentCopies() throws Exception {
        Path jar = TestJars.copyLoadBalancer(drop, "load-balancer.jar");

        LoadedPlugin first = host.load(jar);
        LoadedPlugin second = host.load(jar);

        // Never the same path twice, and one manager each: what a reload of the same id needs.
        assertNotEquals(first.stagedPath(), second.stagedPath());
        assertNotSame(first.manager(), second.manager());
        assertNotSame(first.classLoader(), second.classLoader());
        ProxyPlugin<Object> survivor = startedLoadBalancer(second);
        first.close();
        assertFalse(Files.exists(first.stagedPath()));
        assertTrue(Files.exists(second.stagedPath()));
        assertEquals(List.of("a:1", "b:2"), nextPeers(survivor, 2));
        assertEquals(List.of("a:1"), nextPeers(startedLoadBalancer(second), 1));
    }

    @Test
    void withDuplicateIdsTheLastByFileNameWins() throws Exception {
        TestJars.copyLoadBalancer(drop, "a-load-balancer.jar");
        TestJars.copyLoadBalancer(drop, "b-load-balancer.jar");

        LoadedPlugin rr = host.loadAll().get("load-balancer");

        assertEquals(drop.resolve("b-load-balancer.jar").toAbsolutePath(), rr.sourceFile());
        String warning = warningAbout("a-load-balancer.jar");
        assertTrue(warning.contains(drop.resolve("b-load-balancer.jar").toString()), warning);
        assertTrue(warning.contains("'load-balancer'"), warning);
        assertEquals(1, fileNames(host.stagingDir()).size(), "the shadowed copy is not kept");
    }

    @Test
    void aBrokenLaterDuplicateFallsBackToTheEarlierJar() throws Exception {
        TestJars.copyLoadBalancer(drop, "a-load-balancer.jar");
        TestJars.jar(drop, "b-load-balancer.jar", Map.of("Plugin-Id", "load-balancer", "Plugin-Version", "9.9.9"), List.of());

        LoadedPlugin rr = host.loadAll().get("load-balancer");

        assertEquals(drop.resolve("a-load-balancer.jar").toAbsolutePath(), rr.sourceFile());
        assertTrue(warningAbout("b-load-balancer.jar").contains("no @Extension"));
        assertEquals(List.of("a:1", "b:2"), nextPeers(startedLoadBalancer(rr), 2));
    }

    @Test
    void closeStopsAndUnloadsEveryPluginAndDeletesTheStagingDirectory() throws Exception {
        TestJars.copyLoadBalancer(drop, "load-balancer.jar");
        TestJars.pluginJar(drop, "recorder.jar", "recorder", "1.0.0", Recorder.class);
        Map<String, LoadedPlugin> loaded = host.loadAll();
        assertEquals(Set.of("recorder", "load-balancer"), loaded.keySet());
        Path staging = host.stagingDir();
        LoadedPlugin extra = host.load(drop.resolve("load-balancer.jar"));

        host.close();

        assertFalse(Files.exists(staging), staging + " still exists");
        for (LoadedPlugin p : List.of(loaded.get("recorder"), loaded.get("load-balancer"), extra)) {
            assertTrue(p.isClosed(), p.toString());
            assertEquals(List.of(), p.manager().getPlugins(), p + " is still in its manager");
            assertThrows(IllegalStateException.class, p::newInstance);
        }
        assertEquals(Map.of(), host.plugins());
        assertThrows(IllegalStateException.class, host::loadAll);
        assertTrue(Files.exists(drop.resolve("load-balancer.jar")), "the drop directory is not the host's to clean");
    }

    @Test
    void aGivenStagingDirectoryIsKeptButEmptiedOnClose(@TempDir Path elsewhere) throws Exception {
        TestJars.copyLoadBalancer(drop, "load-balancer.jar");
        Path staging = elsewhere.resolve("cache");
        PluginHost own = new PluginHost(drop, staging);
        try {
            LoadedPlugin rr = own.loadAll().get("load-balancer");
            assertEquals(staging.toAbsolutePath(), rr.stagedPath().getParent());
        } finally {
            own.close();
        }
        assertTrue(Files.isDirectory(staging));
        assertEquals(Set.of(), fileNames(staging));
    }

    @Test
    void refusesAStagingDirectoryInsideTheDropDirectory() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PluginHost(drop, drop.resolve("cache")));
        assertTrue(e.getMessage().contains("must not be inside"), e.getMessage());
    }

    @Test
    void aMissingDropDirectoryLoadsNothing() throws Exception {
        try (PluginHost none = new PluginHost(drop.resolve("absent"))) {
            assertEquals(Map.of(), none.loadAll());
        }
    }

    @Test
    void theCandidateRuleIsByNameAndKind() throws Exception {
        assertTrue(DropDirectory.isCandidateName("load-balancer-0.1.0.jar"));
        assertTrue(DropDirectory.isCandidateName("UPPER.JAR"));
        assertFalse(DropDirectory.isCandidateName(".load-balancer.jar"));
        assertFalse(DropDirectory.isCandidateName("load-balancer.jar.tmp"));
        assertFalse(DropDirectory.isCandidateName("load-balancer"));
        Files.createDirectories(drop.resolve("dir.jar"));
        assertFalse(DropDirectory.isCandidate(drop.resolve("dir.jar")));
    }

    @Test
    void jarsAreConsideredInFileNameOrder() throws Exception {
        for (String name : List.of("c.jar", "a.jar", "b.jar")) {
            Files.write(drop.resolve(name), new byte[0]);
        }
        List<String> names = new DropDirectory(drop).jars().stream()
                .map(p -> p.getFileName().toString()).collect(Collectors.toList());
        assertEquals(List.of("a.jar", "b.jar", "c.jar"), names);
    }
}
