package com.example.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.sun.net.httpserver.HttpServer;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.testkit.phases.FakeSession;
import dev.turnpike.testkit.phases.PhaseHarness;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.WeakReference;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What the runtime checks after a reload: once stopped, the plugin leaves nothing behind that holds
 * its class loader for good. The plugin's classes are loaded by a loader of their own, as from a
 * jar; after a real mirror went out and {@code stop()}, the loader must be collected. Not at once:
 * JDK 17's HttpClient selector thread holds it until a few seconds after the client was collected
 * (measured at about 3 s), so the test collects garbage until a deadline. Without the executor's
 * shutdown in {@code stop()} the loader is never collected and this fails.
 */
class ClassLoaderCollectionTest {

    /** Defines this package's classes itself (as a plugin jar's loader does); asks its parent for the rest. */
    static final class PluginLoader extends ClassLoader {
        PluginLoader(ClassLoader parent) {
            super(parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith("com.example.mirror.") || name.contains("Test")) {
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
    void theLoaderIsCollectedAfterStop() throws Exception {
        HttpServer shadow = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        shadow.createContext("/", exchange -> {
            received.add(exchange.getRequestURI().toString());
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        shadow.start();
        try {
            WeakReference<ClassLoader> loader = mirrorOnceAndStop(shadow.getAddress().getPort(), received);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (loader.get() != null && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(50);
            }
            assertNull(loader.get(), "the plugin's class loader is still reachable after stop()");
        } finally {
            shadow.stop(0);
        }
    }

    /** Everything that references the plugin lives in this frame only. */
    private static WeakReference<ClassLoader> mirrorOnceAndStop(int port, BlockingQueue<String> received) throws Exception {
        PluginLoader loader = new PluginLoader(ClassLoaderCollectionTest.class.getClassLoader());
        ProxyPlugin<?> plugin = (ProxyPlugin<?>) loader.loadClass("com.example.mirror.RequestMirror")
                .getConstructor().newInstance();
        assertEquals(loader, plugin.getClass().getClassLoader());
        PhaseHarness<?> h = PhaseHarness.start(plugin, Map.of("target", "http://127.0.0.1:" + port));
        h.run(FakeSession.get("/once").peer(Peer.of("10.0.0.5", 8080)));
        assertNotNull(received.poll(10, TimeUnit.SECONDS));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (h.metrics().value("mirror_requests_total", "sent") < 1 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(1.0, h.metrics().value("mirror_requests_total", "sent"));
        h.stop();
        return new WeakReference<>(loader);
    }
}
