package com.example.mirror;

import dev.turnpike.api.metrics.Counter;
import dev.turnpike.api.metrics.Gauge;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends copies of requests to the shadow backend, fire-and-forget, on threads of its own: the
 * JDK's {@link HttpClient} (a plugin may not use Netty) with its async API on this sender's
 * executor, so neither building nor sending a mirror ever runs on, or waits on, an event loop.
 *
 * <p>At most {@code maxInFlight} mirrors are under way at once; one more is dropped and counted,
 * so a slow or dead shadow costs a bounded amount of memory and never backs up into the proxy.
 * The shadow's answers are read and discarded; its failures are counted and forgotten.
 *
 * <p>{@link #send} is thread-safe and returns at once. {@link #close} ends the threads.
 */
final class MirrorSender {

    /** The mirror's outcomes, as the {@code result} label of {@code mirror_requests_total}. */
    static final String SENT = "sent";
    static final String FAILED = "failed";
    static final String DROPPED = "dropped";

    private final String base;
    private final Duration timeout;
    private final Semaphore slots;
    private final ThreadPoolExecutor executor;
    private final HttpClient client;
    private final Counter results;
    private final Gauge inFlight;

    /**
     * @param base the shadow's origin and optional path prefix, without a trailing slash
     */
    MirrorSender(String base, Duration timeout, int maxInFlight, Counter results, Gauge inFlight) {
        this.base = base;
        this.timeout = timeout;
        this.slots = new Semaphore(maxInFlight);
        this.results = results;
        this.inFlight = inFlight;
        // The queue never holds more than maxInFlight tasks: each one holds a slot.
        this.executor = new ThreadPoolExecutor(2, 2, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), daemonThreads());
        this.client = HttpClient.newBuilder()
                .executor(executor)
                .version(HttpClient.Version.HTTP_1_1) // as the proxy speaks to backends; no h2c upgrade headers
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /**
     * Queues {@code request} for the shadow, or drops it when {@code maxInFlight} mirrors are under
     * way (or the sender is closed). Returns at once, on any thread; never throws.
     *
     * @return whether it was queued
     */
    boolean send(MirroredRequest request) {
        if (!slots.tryAcquire()) {
            results.inc(DROPPED);
            return false;
        }
        inFlight.inc();
        try {
            executor.execute(() -> start(request));
            return true;
        } catch (RejectedExecutionException closed) {
            finish(DROPPED);
            return false;
        }
    }

    /** On a sender thread: builds the request (which may resolve names, so not on a loop) and sends it. */
    private void start(MirroredRequest r) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + r.uri()))
                    .timeout(timeout)
                    .method(r.method(), r.body().length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(r.body()));
            for (Map.Entry<String, String> h : r.headers()) {
                b.header(h.getKey(), h.getValue());
            }
            if (r.host() != null) {
                b.header("X-Forwarded-Host", r.host());
            }
            b.header("X-Turnpike-Mirror", "1"); // so the shadow can tell, and not send the e-mail twice
            client.sendAsync(b.build(), HttpResponse.BodyHandlers.discarding())
                    .whenComplete((response, failure) -> finish(failure == null ? SENT : FAILED));
        } catch (RuntimeException e) {
            finish(FAILED); // a header the JDK client refuses, a target that is no URI
        }
    }

    private void finish(String result) {
        inFlight.dec();
        slots.release();
        results.inc(result);
    }

    /**
     * Ends the sender's threads at once; mirrors under way are abandoned. JDK 17's HttpClient has
     * no close(): its selector thread ends by itself a few seconds after the client was collected,
     * and until then holds this plugin's class loader (the thread keeps the access-control context
     * of the code that built the client, which names this plugin's classes). So the loader is
     * collectable shortly after stop(), not at once; ClassLoaderCollectionTest shows it.
     */
    void close() {
        executor.shutdownNow();
    }

    /** Whether the sender's threads have all ended, waiting up to {@code wait} for them. */
    boolean awaitClosed(Duration wait) throws InterruptedException {
        return executor.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static java.util.concurrent.ThreadFactory daemonThreads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "request-mirror-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
