package dev.turnpike.testkit;

import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * A plugin jar replaced under load, the way an operator deploys a new version: requests keep
 * flowing through the proxy while {@code v2} is renamed over the running jar, and the result says
 * how many failed and lets a test assert that the old version's class loader was collected.
 *
 * <pre>{@code
 * HotSwap.Result r = HotSwap.replace(proxy, "greeter", "greeter.jar", v2Jar, "/", 4, resp -> resp.status() == 200);
 * r.load().assertNoFailures();
 * r.assertOldLoaderCollected(Duration.ofSeconds(20));
 * }</pre>
 *
 * <p>For plugins loaded from a jar (a class-path plugin's loader is the test's own and is never
 * collected). Test thread only; it blocks until the swap is done and load has run on the new
 * version too.
 */
public final class HotSwap {

    /** Requests answered before the swap and after it, at least. */
    private static final int REQUESTS_EACH_SIDE = 50;

    private HotSwap() {
    }

    /**
     * Sends load to {@code path} with {@code threads} threads; once {@value #REQUESTS_EACH_SIDE} are
     * answered, puts {@code newJar} in place of {@code fileName}, waits for the new generation, lets
     * {@value #REQUESTS_EACH_SIDE} more be answered, and stops the load.
     *
     * @param pluginId the id whose running loaders are watched
     * @param expected what counts as a good answer (before, during and after the swap)
     */
    public static Result replace(TurnpikeExtension proxy, String pluginId, String fileName, Path newJar, String path,
            int threads, Predicate<ResponseAssert> expected) {
        List<WeakReference<ClassLoader>> before = proxy.pluginClassLoaders(pluginId);
        LoadGenerator.LoadResult load;
        try (LoadGenerator g = LoadGenerator.start(proxy.client(), path, threads, expected)) {
            g.awaitAnswered(REQUESTS_EACH_SIDE);
            proxy.dropJar(newJar, fileName);
            g.awaitAnswered(g.answered() + REQUESTS_EACH_SIDE);
            load = g.stop();
        }
        return new Result(pluginId, load, before);
    }

    /**
     * What a swap came to.
     *
     * @param load       the requests sent across it
     * @param oldLoaders the class loaders of the version that ran before, weakly held
     */
    public record Result(String pluginId, LoadGenerator.LoadResult load, List<WeakReference<ClassLoader>> oldLoaders) {

        /** Waits until the old version's class loaders are collected ({@link ClassLoaders#awaitCollected}). */
        public Result assertOldLoaderCollected(Duration deadline) {
            ClassLoaders.awaitCollected("the replaced version of " + pluginId, oldLoaders, deadline);
            return this;
        }
    }
}
