package dev.turnpike.runtime.reload;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * For a retired plugin class loader that is still reachable: whether a garbage collection frees it
 * after all (a weak reference only clears when a collection runs, so "still reachable" before one
 * means nothing), and, when it survives, which live threads hold it: one whose context class loader
 * or class comes from it, or one running its code. A {@code ThreadLocal} value on a host thread or a
 * static reference elsewhere cannot be seen without reaching into the JDK's internals; the report
 * then says the holder could not be determined.
 *
 * <p>Blocks for up to {@link #GC_DEADLINE_MILLIS}: call it on the management thread, never on an
 * event loop. Holds the loader strongly only while it looks.
 */
final class RetainedLoaders {

    /** How long the collections may take in all before the loader counts as surviving them. */
    static final long GC_DEADLINE_MILLIS = 2_000;
    private static final int GC_ROUNDS = 5;

    private RetainedLoaders() {
    }

    /** Asks for a few collections (with a short pause each), until {@code ref} clears or the deadline; whether it cleared. */
    static boolean collectedAfterGc(WeakReference<ClassLoader> ref) throws InterruptedException {
        long deadline = System.nanoTime() + GC_DEADLINE_MILLIS * 1_000_000;
        for (int i = 0; i < GC_ROUNDS && ref.get() != null && System.nanoTime() < deadline; i++) {
            System.gc();
            Thread.sleep(GC_DEADLINE_MILLIS / GC_ROUNDS / 4);
        }
        return ref.get() == null;
    }

    /**
     * The live threads that hold {@code loader}, one phrase each, such as
     * {@code thread 'poller' (running com.example.Poller.run)}; empty when none does.
     */
    static List<String> holdingThreads(ClassLoader loader) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            String why = null;
            if (t.getClass().getClassLoader() == loader) {
                why = "its class " + t.getClass().getName() + " is the plugin's";
            } else if (isFrom(t.getContextClassLoader(), loader)) {
                why = "its context class loader is the plugin's";
            } else {
                StackTraceElement frame = pluginFrame(e.getValue(), loader);
                if (frame != null) {
                    why = "running " + frame.getClassName() + "." + frame.getMethodName();
                }
            }
            if (why != null) {
                out.add("thread '" + t.getName() + "' (" + why + ")");
            }
        }
        return out;
    }

    /** Whether {@code candidate} is {@code loader} or one of its descendants. */
    private static boolean isFrom(ClassLoader candidate, ClassLoader loader) {
        for (ClassLoader c = candidate; c != null; c = c.getParent()) {
            if (c == loader) {
                return true;
            }
        }
        return false;
    }

    /** The first frame of a class the loader defined: a class it has loaded resolves to itself. */
    private static StackTraceElement pluginFrame(StackTraceElement[] frames, ClassLoader loader) {
        for (StackTraceElement f : frames) {
            String name = f.getClassName();
            if (name.startsWith("java.") || name.startsWith("jdk.") || name.startsWith("sun.")) {
                continue;
            }
            try {
                if (Class.forName(name, false, loader).getClassLoader() == loader) {
                    return f;
                }
            } catch (ClassNotFoundException | LinkageError | RuntimeException notThePlugins) {
                // Not a class of this loader (and a closed loader loads nothing new).
            }
        }
        return null;
    }
}
