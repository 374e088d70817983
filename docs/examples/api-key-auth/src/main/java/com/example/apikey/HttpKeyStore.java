package com.example.apikey;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A key store behind HTTP: {@code GET <url>} with the key in a header (never in the URL, where the
 * store's access log would keep it). 2xx means valid; 401, 403 and 404 mean invalid; anything else,
 * or no answer within the timeout, is a failure to answer.
 *
 * <p>The JDK's {@link HttpClient} runs on an executor of this store's own, so nothing of the lookup
 * (not even its DNS resolution or connect, which {@code sendAsync} may start on the calling thread)
 * happens on the proxy's event loop: {@link #lookup} only hands the call to that executor.
 */
final class HttpKeyStore implements KeyStore {

    private final URI url;
    private final String header;
    private final Duration timeout;
    private final ExecutorService executor;
    private final HttpClient client;

    HttpKeyStore(URI url, String header, Duration timeout) {
        this.url = url;
        this.header = header;
        this.timeout = timeout;
        this.executor = Executors.newFixedThreadPool(2, daemonThreads("api-key-store-"));
        this.client = HttpClient.newBuilder().executor(executor).connectTimeout(timeout).build();
    }

    @Override
    public CompletableFuture<Verdict> lookup(String key) {
        HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout).header(header, key).GET().build();
        return CompletableFuture.supplyAsync(() -> client.sendAsync(request, HttpResponse.BodyHandlers.discarding()), executor)
                .thenCompose(f -> f)
                .thenApply(HttpKeyStore::verdict);
    }

    private static Verdict verdict(HttpResponse<?> response) {
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return Verdict.VALID;
        }
        if (status == 401 || status == 403 || status == 404) {
            return Verdict.INVALID;
        }
        // A 5xx or a redirect says nothing about the key: fail this request, cache nothing.
        throw new IllegalStateException("key store answered " + status);
    }

    @Override
    public void close() {
        // JDK 17's HttpClient has no close(): its selector thread ends by itself a few seconds after
        // the client was collected (holding the plugin's class loader until then).
        executor.shutdownNow();
    }

    /** Whether the store's threads have all ended, waiting up to {@code wait} for them. */
    boolean awaitClosed(Duration wait) throws InterruptedException {
        return executor.awaitTermination(wait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Daemon threads, so a store that was never closed cannot keep the JVM from exiting. */
    static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
