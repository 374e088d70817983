package dev.turnpike.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Steady requests through the proxy while something changes underneath (a jar swap, a config
 * reload): a few threads each send one request after another and count which were answered as
 * {@code expected} says. Bounded: each thread stops at {@link #stop()}, or by itself after
 * {@link #MAX_RUN} or {@link #MAX_REQUESTS} requests in all, whichever comes first.
 *
 * <pre>{@code
 * try (LoadGenerator load = LoadGenerator.start(proxy.client(), "/", 4, r -> r.status() == 200)) {
 *     load.awaitAnswered(50);
 *     ... change something ...
 *     load.awaitAnswered(load.answered() + 50);
 *     load.stop().assertNoFailures();
 * }
 * }</pre>
 */
public final class LoadGenerator implements AutoCloseable {

    /** The longest a generator runs when nobody stops it. */
    public static final Duration MAX_RUN = Duration.ofSeconds(60);
    /** The most requests a generator sends in all. */
    public static final int MAX_REQUESTS = 200_000;

    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger ok = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private volatile boolean stopping;

    private LoadGenerator() {
    }

    /**
     * Starts {@code threads} threads sending GET {@code path}; a response {@code expected} rejects,
     * or a transport failure (refused, reset, timed out), counts as a failure.
     */
    public static LoadGenerator start(ProxyClient client, String path, int threads, Predicate<ResponseAssert> expected) {
        LoadGenerator g = new LoadGenerator();
        long end = System.nanoTime() + MAX_RUN.toNanos();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> g.run(client, path, expected, end), "testkit-load-" + i);
            t.setDaemon(true);
            g.threads.add(t);
        }
        g.threads.forEach(Thread::start);
        return g;
    }

    /** As {@link #start(ProxyClient, String, int, Predicate)}, expecting status 200. */
    public static LoadGenerator start(ProxyClient client, String path, int threads) {
        return start(client, path, threads, r -> r.status() == 200);
    }

    private void run(ProxyClient client, String path, Predicate<ResponseAssert> expected, long end) {
        while (!stopping && System.nanoTime() - end < 0 && ok.get() + failed.get() < MAX_REQUESTS) {
            try {
                ResponseAssert r = client.get(path);
                if (expected.test(r)) {
                    ok.incrementAndGet();
                } else {
                    fail("unexpected response " + r);
                }
            } catch (RuntimeException e) {
                fail(e.toString());
            }
        }
    }

    private void fail(String what) {
        failed.incrementAndGet();
        if (failures.size() < 20) {
            failures.add(what);
        }
    }

    /** Requests answered as expected so far. */
    public int answered() {
        return ok.get();
    }

    /** Requests that failed so far (a wrong answer or a transport failure). */
    public int failed() {
        return failed.get();
    }

    /** Waits (up to {@link Await#DEFAULT}) until {@code count} requests in all were answered as expected. */
    public void awaitAnswered(int count) {
        Await.until(count + " requests answered under load", Await.DEFAULT, () -> ok.get() >= count || stoppedEarly(),
                () -> ok.get() + " answered, " + failed.get() + " failed");
        if (ok.get() < count) {
            throw new AssertionError("the load generator stopped (limit reached) after " + ok.get() + " answered requests");
        }
    }

    private boolean stoppedEarly() {
        return threads.stream().noneMatch(Thread::isAlive);
    }

    /** Stops the threads, waits for their last requests, and returns the counts. */
    public LoadResult stop() {
        stopping = true;
        for (Thread t : threads) {
            try {
                t.join(Duration.ofSeconds(30).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return new LoadResult(ok.get(), failed.get(), List.copyOf(failures));
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * What a load run came to.
     *
     * @param answered requests answered as expected
     * @param failed   requests that were not (wrong answer or transport failure)
     * @param failures the first few failures, described
     */
    public record LoadResult(int answered, int failed, List<String> failures) {

        /** @throws AssertionError naming the first failures when any request failed, or none was answered */
        public LoadResult assertNoFailures() {
            if (failed > 0) {
                throw new AssertionError(failed + " of " + (answered + failed) + " requests failed under load; first: " + failures);
            }
            if (answered == 0) {
                throw new AssertionError("no request was answered under load");
            }
            return this;
        }
    }
}
