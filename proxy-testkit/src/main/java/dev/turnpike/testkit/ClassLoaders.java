package dev.turnpike.testkit;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;

/**
 * Asserting that an unloaded plugin's class loader is collected: the proof that a swap left nothing
 * behind (no thread the plugin started and did not stop, no ThreadLocal on an event loop, no static
 * cache in a shared class). Asks the JVM for a GC repeatedly until every reference is cleared or the
 * deadline passes. Test thread only.
 */
public final class ClassLoaders {

    private ClassLoaders() {
    }

    /**
     * Waits until every loader in {@code loaders} has been collected.
     *
     * @param what     names the loaders in the failure message (e.g. "greeter 1.0")
     * @param deadline how long to keep asking for GCs
     * @throws AssertionError when one is still reachable at the deadline
     */
    public static void awaitCollected(String what, List<WeakReference<ClassLoader>> loaders, Duration deadline) {
        Await.until("the class loader(s) of " + what + " to be collected", deadline, () -> {
            System.gc();
            return loaders.stream().allMatch(r -> r.get() == null);
        }, () -> loaders.stream().filter(r -> r.get() != null).count() + " of " + loaders.size()
                + " still reachable: something holds them (a thread, a ThreadLocal, a static reference)");
    }
}
