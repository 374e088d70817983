package dev.turnpike.plugins.tracing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Keeps every thread the OpenTelemetry SDK starts for one plugin instance in one thread group, so
 * that {@code stop()} can wait for them to end: a thread left running keeps the plugin's class
 * loader alive. The SDK makes its threads through {@code Executors.defaultThreadFactory()} (the
 * batch processor's worker, the HTTP sender's pool) or the JDK's HttpClient (its selector), and a
 * new thread joins the group of the thread that creates it; so the SDK is built on a thread of the
 * group, and everything it starts later is started by those threads.
 *
 * <p>Used from the management thread only ({@code start} and {@code stop}).
 */
final class SdkThreads {

    /**
     * The JDK 17 HttpClient's own threads, which the OTLP sender's client starts in this group: its
     * selector (a class of this package) ends by itself a few seconds after the client has been
     * collected, and its worker pool's threads ({@link #JDK_HTTP_CLIENT_WORKER}) after 60 s idle;
     * neither can be told to end before Java 21's {@code HttpClient.close()}. They run no plugin code
     * (though a worker's inherited access-control context names the plugin's classes until it ends),
     * and the runtime's leak check, which looks 60 s after an unload and again 10 s later, allows for
     * them. Waiting for them in {@code stop()} would only hold up the reload.
     */
    private static final String JDK_HTTP_CLIENT_PACKAGE = "jdk.internal.net.http.";
    private static final java.util.regex.Pattern JDK_HTTP_CLIENT_WORKER = java.util.regex.Pattern.compile("HttpClient-\\d+-Worker-\\d+");

    private final ThreadGroup group;

    @SuppressWarnings("removal")
    SdkThreads(String name) {
        this.group = new ThreadGroup(name);
        // On Java 17 a parent keeps its child groups until they are destroyed, and a daemon group is
        // destroyed once its last thread ends: without this every reload would leave an empty group
        // behind. (From Java 19 groups are held weakly and this does nothing.)
        group.setDaemon(true);
    }

    /** Runs {@code build} on a new thread of the group and returns what it made (or rethrows what it threw). */
    <T> T build(Supplier<T> build) throws InterruptedException {
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(group, () -> {
            try {
                result[0] = build.get();
            } catch (RuntimeException | Error e) {
                failure[0] = e;
            }
        }, group.getName() + "-setup");
        t.setDaemon(true);
        t.start();
        t.join();
        if (failure[0] instanceof RuntimeException) {
            throw (RuntimeException) failure[0];
        }
        if (failure[0] != null) {
            throw (Error) failure[0];
        }
        @SuppressWarnings("unchecked")
        T made = (T) result[0];
        return made;
    }

    /**
     * Ends the group's threads (all but the JDK HttpClient's own) once the SDK has been shut
     * down: interrupts them, then waits for them, for at most {@code millis}; the names of those
     * still alive then (empty when all ended). The interrupt is what ends the batch processor's
     * worker at once: after its shutdown it sleeps until its next scheduled export (up to
     * {@code flush_interval}) before it looks again, and an interrupt is its signal to leave.
     */
    List<String> end(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (Thread t : threads()) {
            t.interrupt();
        }
        for (Thread t : threads()) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left > 0) {
                t.join(left);
            }
        }
        List<String> alive = new ArrayList<>();
        for (Thread t : threads()) {
            alive.add(t.getName());
        }
        return alive;
    }

    /** Whether {@code t} is one of the JDK HttpClient's own threads. */
    static boolean isJdkHttpClients(Thread t) {
        return t.getClass().getName().startsWith(JDK_HTTP_CLIENT_PACKAGE) || JDK_HTTP_CLIENT_WORKER.matcher(t.getName()).matches();
    }

    /** The live threads of the group that run SDK code (not the JDK HttpClient's own). */
    List<Thread> threads() {
        Thread[] all = new Thread[group.activeCount() + 8];
        int n = group.enumerate(all);
        List<Thread> out = new ArrayList<>();
        for (Thread t : Arrays.asList(all).subList(0, n)) {
            if (t.isAlive() && !isJdkHttpClients(t)) {
                out.add(t);
            }
        }
        return out;
    }
}
