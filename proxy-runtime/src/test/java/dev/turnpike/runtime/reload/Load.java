package dev.turnpike.runtime.reload;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Continuous load from real clients: {@code threads} threads, each with its own keep-alive
 * {@link HttpClient}, sending GET /name one after the other until stopped. Records every failure
 * (an exception, a status other than 200, more than one version header, or, when
 * {@code headerRequired}, none), when each header value was first seen, and per thread the
 * sequence of distinct values it saw (a thread's requests are sequential, so once it has seen a
 * newer chain it must never see an older one).
 */
final class Load implements AutoCloseable {

    private final URI uri;
    private final boolean headerRequired;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    final AtomicLong completed = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final List<String> failures = new CopyOnWriteArrayList<>();
    /** Header value ("none" when absent) → nanoTime of the first response carrying it. */
    final Map<String, Long> firstSeen = new ConcurrentHashMap<>();
    /** Per thread: the values it saw, consecutive duplicates collapsed. */
    final List<List<String>> sequences = new CopyOnWriteArrayList<>();

    Load(URI uri, int threadCount, boolean headerRequired) {
        this.uri = uri;
        this.headerRequired = headerRequired;
        for (int i = 0; i < threadCount; i++) {
            List<String> seq = new ArrayList<>();
            sequences.add(seq);
            Thread t = new Thread(() -> run(seq), "load-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    private void run(List<String> seq) {
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build();
        String last = null;
        while (running) {
            try {
                HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
                long now = System.nanoTime();
                List<String> values = r.headers().allValues(ReloadHarness.HEADER);
                if (r.statusCode() != 200) {
                    fail("status " + r.statusCode() + " body " + r.body() + " headers " + r.headers().map());
                    continue;
                }
                if (values.size() > 1 || headerRequired && values.isEmpty()) {
                    fail("header values " + values + " (status " + r.statusCode() + ")");
                    continue;
                }
                String v = values.isEmpty() ? "none" : values.get(0);
                firstSeen.putIfAbsent(v, now);
                if (!v.equals(last)) {
                    synchronized (seq) {
                        seq.add(v);
                    }
                    last = v;
                }
                completed.incrementAndGet();
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                if (running) {
                    fail(e.toString());
                }
            }
        }
    }

    private void fail(String what) {
        failed.incrementAndGet();
        if (failures.size() < 50) {
            failures.add(System.nanoTime() / 1_000_000 + " ms " + Thread.currentThread().getName() + ": " + what);
        }
    }

    /** Copies of the per-thread sequences. */
    List<List<String>> sequences() {
        List<List<String>> out = new ArrayList<>();
        for (List<String> s : sequences) {
            synchronized (s) {
                out.add(List.copyOf(s));
            }
        }
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(10_000);
        }
    }
}
