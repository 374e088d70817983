package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.plugins.tracing.otlp.OtlpReceiver;
import dev.turnpike.plugins.tracing.otlp.ReceivedSpan;
import dev.turnpike.runtime.plugin.TestJars;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled tracing jar (the SDK shaded inside it) swapped for a new version while the proxy runs
 * and exports: the new version traces, and the old version's class loader, SDK threads and all, is
 * collected.
 */
class TracingJarSwapTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    /** The built jar with another {@code Plugin-Version}, so the runtime loads it as a new version. */
    private static Path asVersion(Path jar, Path out, String version) throws IOException {
        try (JarFile in = new JarFile(jar.toFile())) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().put(new Attributes.Name("Plugin-Version"), version);
            try (OutputStream file = Files.newOutputStream(out); JarOutputStream copy = new JarOutputStream(file, manifest)) {
                for (Enumeration<JarEntry> e = in.entries(); e.hasMoreElements(); ) {
                    JarEntry entry = e.nextElement();
                    if (entry.getName().equals(JarFile.MANIFEST_NAME)) {
                        continue;
                    }
                    copy.putNextEntry(new JarEntry(entry.getName()));
                    try (InputStream body = in.getInputStream(entry)) {
                        body.transferTo(copy);
                    }
                    copy.closeEntry();
                }
            }
        }
        return out;
    }

    private static void gc() throws InterruptedException {
        System.gc();
        Thread.sleep(100);
    }

    @Test
    @Timeout(120)
    void aSwappedTracingJarTracesOnAndItsOldLoaderIsCollected() throws Exception {
        try (OtlpReceiver collector = OtlpReceiver.start(); ReloadHarness h = new ReloadHarness(dir)) {
            Path v1 = TestJars.builtJar("turnpike.pluginsBuildDir", "tracing", "tracing");
            Path v2 = asVersion(v1, h.jars.resolve("tracing-2.jar"), "2.0.0");
            h.moveIn(v1, "tracing.jar");
            h.start(h.yaml("    - id: tracing\n      config: { endpoint: '" + collector.endpoint() + "', flush_interval: 50ms }\n"
                    + h.loadBalancerEntry()));
            for (int i = 0; i < 5; i++) {
                assertEquals(200, h.get("/name").statusCode());
            }
            collector.await(10, s -> true, WAIT);

            long gen = h.proxy.reloader().generation();
            h.moveIn(v2, "tracing.jar");
            ReloadHarness.await("the generation after " + gen, WAIT, () -> h.proxy.reloader().generation() > gen);
            Set<WeakReference<ClassLoader>> retired = Collections.newSetFromMap(new IdentityHashMap<>());
            for (int i = 0; i < 5; i++) {
                assertEquals(200, h.get("/after").statusCode());
            }
            List<ReceivedSpan> after = collector.await(5, s -> s.kind() == ReceivedSpan.SERVER && "/after".equals(s.attribute("url.path")), WAIT);
            assertEquals(5, after.size(), "the new version traces");

            // The old version retires once its last request is done; then its loader must go.
            ReloadHarness.await("the old tracing version unloaded", WAIT, () -> {
                retired.addAll(h.proxy.reloader().retiredLoaders());
                return !retired.isEmpty();
            });
            List<WeakReference<ClassLoader>> refs = new ArrayList<>(retired);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (refs.stream().anyMatch(r -> r.get() != null) && System.nanoTime() < deadline) {
                gc();
            }
            assertTrue(refs.stream().allMatch(r -> r.get() == null),
                    "the replaced tracing version's class loader is still reachable " + WAIT.toSeconds() + " s after it retired");
            assertTrue(h.logs.matching("unloaded plugin tracing").size() >= 1, h.logs.dump());
        }
    }
}
