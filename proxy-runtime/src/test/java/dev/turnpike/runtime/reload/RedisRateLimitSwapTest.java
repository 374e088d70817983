package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.runtime.it.RedisProcess;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: the bundled rate-limit jar with store: redis (Lettuce, Netty and Reactor shaded inside
 * it, on client resources of its own) swapped 20 times under load in a real in-JVM proxy: no request
 * fails, and the retired versions' class loaders are collected, so no thread, thread local or
 * connection of the shaded client outlives its version. Redis sees no connection pile up either.
 */
class RedisRateLimitSwapTest {

    private static final int SWAPS = 20;
    private static final String JAR = "rate-limit.jar";

    @TempDir
    Path dir;

    /** The built rate-limit jar with another Plugin-Version: a new version to the proxy, the same code. */
    private static Path version(Path built, Path out, String version) throws Exception {
        try (JarFile in = new JarFile(built.toFile());
             OutputStream file = Files.newOutputStream(out)) {
            Manifest m = new Manifest(in.getManifest());
            m.getMainAttributes().putValue("Plugin-Version", version);
            try (JarOutputStream jar = new JarOutputStream(file, m)) {
                for (JarEntry e : Collections.list(in.entries())) {
                    if (e.getName().equals(JarFile.MANIFEST_NAME)) {
                        continue;
                    }
                    jar.putNextEntry(new JarEntry(e.getName()));
                    try (InputStream data = in.getInputStream(e)) {
                        data.transferTo(jar);
                    }
                    jar.closeEntry();
                }
            }
        }
        return out;
    }

    private static long live(Set<WeakReference<ClassLoader>> refs) {
        return refs.stream().filter(r -> r.get() != null).count();
    }

    @Test
    @Timeout(240)
    void swappedTwentyTimesUnderLoadWithoutAFailureAndItsLoadersAreCollected() throws Exception {
        try (RedisProcess redis = RedisProcess.started(dir.resolve("redis"));
             ReloadHarness h = new ReloadHarness(dir.resolve("proxy"))) {
            Path built = ReloadHarness.rateLimitJar();
            List<Path> versions = new ArrayList<>();
            for (int i = 0; i <= SWAPS; i++) {
                versions.add(version(built, h.jars.resolve("rate-limit-" + i + ".jar"), "9.0." + i));
            }
            h.moveIn(versions.get(0), JAR);
            // a limit the load never reaches: every request asks Redis and passes
            h.start(h.yaml("    - id: rate-limit\n"
                    + "      config: { store: redis, name: swap, burst: 1000000000, refill_per_second: 1000000,"
                    + " redis: { uri: '" + redis.uri() + "', timeout: 1s, on_error: deny } }\n"
                    + h.loadBalancerEntry()));
            Set<WeakReference<ClassLoader>> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            long completed;
            try (Load load = new Load(h.uri("/name"), 4, false)) {
                Thread.sleep(500);
                for (int i = 1; i <= SWAPS; i++) {
                    long gen = h.proxy.reloader().generation();
                    h.moveIn(versions.get(i), JAR);
                    ReloadHarness.await("generation after " + gen + " (9.0." + i + ")", Duration.ofSeconds(20),
                            () -> h.proxy.reloader().generation() > gen);
                    seen.addAll(h.proxy.reloader().retiredLoaders());
                    Thread.sleep(100);
                }
                Thread.sleep(300);
                load.close();
                completed = load.completed.get();
                assertEquals(0, load.failed.get(), "failed requests: " + load.failures + "\nlog:\n" + h.logs.dump());
            }
            assertTrue(completed > 100, "load too low to mean anything: " + completed);

            long stillLive = Long.MAX_VALUE;
            for (int round = 0; round < 20 && stillLive > 1; round++) {
                for (int i = 0; i < 3; i++) {
                    System.gc();
                    Thread.sleep(100);
                }
                seen.addAll(h.proxy.reloader().retiredLoaders());
                stillLive = live(seen);
            }
            List<String> clientThreads = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                    .filter(n -> n.startsWith("turnpike-rate-limit-redis")).sorted().toList();
            long connections = redis.cli("CLIENT", "LIST").lines().count();
            System.out.printf("[redis swap] %d swaps, %d requests, 0 failed; versions unloaded %d; retired loaders seen %d,"
                            + " still reachable %d; client threads now %s; Redis connections now %d%n",
                    SWAPS, completed, h.logs.matching("unloaded plugin rate-limit").size(), seen.size(), stillLive,
                    clientThreads, connections);
            int unloaded = h.logs.matching("unloaded plugin rate-limit").size();
            assertTrue(unloaded >= SWAPS - 1, "versions unloaded: " + unloaded + "\n" + h.logs.dump());
            // the newest retired version may still be draining; every other one must be gone
            assertTrue(stillLive <= 1, stillLive + " retired rate-limit class loader(s) still reachable after GC (of "
                    + seen.size() + ")\nlog:\n" + h.logs.dump());
            assertTrue(clientThreads.stream().allMatch(n -> n.startsWith("turnpike-rate-limit-redis[swap]")),
                    "threads: " + clientThreads);
            assertTrue(clientThreads.size() <= 6, "only the version in force has client threads: " + clientThreads);
            assertTrue(connections <= 3, "connections left on Redis (the version in force's, and redis-cli's own): "
                    + redis.cli("CLIENT", "LIST"));
        }
    }
}
