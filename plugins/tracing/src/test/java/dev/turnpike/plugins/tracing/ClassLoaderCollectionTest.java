package dev.turnpike.plugins.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.plugins.tracing.otlp.OtlpReceiver;
import dev.turnpike.testkit.phases.FakeSession;
import dev.turnpike.testkit.phases.PhaseHarness;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the runtime checks after a jar swap: once stopped, the plugin leaves nothing behind that
 * holds its class loader. The plugin's classes and the whole OpenTelemetry SDK are defined by a
 * loader of their own, as from the jar; after real exports to a collector and {@code stop()}, the
 * loader must be collected. Not at once: the JDK 17 HttpClient's own threads let go a while after
 * (see {@link SdkThreads}), so the test collects garbage until a deadline.
 */
class ClassLoaderCollectionTest {

    /** Defines the plugin's and the SDK's classes itself (as the jar's loader does); asks its parent for the rest. */
    static final class PluginLoader extends ClassLoader {
        PluginLoader(ClassLoader parent) {
            super(parent);
        }

        /** Where the plugin's own (main, not test) classes are. */
        private static final String MAIN_CLASSES = Tracing.class.getProtectionDomain().getCodeSource().getLocation().toString();

        private boolean ours(String name) {
            if (name.startsWith("io.opentelemetry.")) {
                return true;
            }
            java.net.URL where = getParent().getResource(name.replace('.', '/') + ".class");
            return name.startsWith("dev.turnpike.plugins.tracing.") && where != null && where.toString().startsWith(MAIN_CLASSES);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!ours(name)) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                        if (in == null) {
                            throw new ClassNotFoundException(name);
                        }
                        byte[] b = in.readAllBytes();
                        c = defineClass(name, b, 0, b.length);
                    } catch (IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                }
                return c;
            }
        }
    }

    @Test
    @Timeout(180)
    void theLoaderIsCollectedAfterStop() throws Exception {
        try (OtlpReceiver collector = OtlpReceiver.start()) {
            WeakReference<ClassLoader> loader = traceTwiceAndStop(collector);
            long started = System.nanoTime();
            long deadline = started + TimeUnit.SECONDS.toNanos(150);
            while (loader.get() != null && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(100);
            }
            System.out.printf("[tracing] plugin class loader collected %d ms after stop%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            assertNull(loader.get(), "the plugin's class loader is still reachable after stop()");
        }
    }

    /** Everything that references the plugin lives in this frame only. */
    private static WeakReference<ClassLoader> traceTwiceAndStop(OtlpReceiver collector) throws Exception {
        PluginLoader loader = new PluginLoader(ClassLoaderCollectionTest.class.getClassLoader());
        @SuppressWarnings("unchecked")
        ProxyPlugin<Object> plugin = (ProxyPlugin<Object>) loader.loadClass(Tracing.class.getName())
                .getConstructor().newInstance();
        assertEquals(loader, plugin.getClass().getClassLoader());
        // The SDK looks up its context storage through the thread's context class loader; this
        // test's class path has the SDK's testing one, which must come from the same loader.
        Thread self = Thread.currentThread();
        ClassLoader before = self.getContextClassLoader();
        self.setContextClassLoader(loader);
        try {
            PhaseHarness<Object> h = PhaseHarness.start(plugin, Map.of("endpoint", collector.endpoint(), "flush_interval", "50ms"));
            h.run(FakeSession.get("/one").peer(Peer.of("10.0.0.5", 8080)));
            collector.await(2, s -> true, Duration.ofSeconds(20));
            h.run(FakeSession.get("/two").peer(Peer.of("10.0.0.5", 8080)));
            collector.await(4, s -> true, Duration.ofSeconds(20));
            h.stop();
        } finally {
            self.setContextClassLoader(before);
        }
        return new WeakReference<>(loader);
    }
}
