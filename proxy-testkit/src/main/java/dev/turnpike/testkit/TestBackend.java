package dev.turnpike.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP/1.1 server on an ephemeral port of 127.0.0.1 that answers as a test scripts it, and
 * keeps a copy of every request it read ({@link #requests()}).
 *
 * <p><b>Scripting.</b> For each request, the first of these that applies gives the {@link Answer}:
 * <ol>
 *   <li>the answers queued with {@link #then}, one per request, in order (whatever the path);</li>
 *   <li>the answer given with {@link #on} for the request's path (without the query);</li>
 *   <li>the default, {@link #otherwise} ({@code 200 "ok"} unless set).</li>
 * </ol>
 * Scripts may change at any time, also while requests are in flight; a request takes the script as
 * it is when its body has been read.
 *
 * <p><b>Threads.</b> One accept thread and one thread per connection, all daemons; blocking sockets.
 * Every method is thread-safe. {@link #close()} closes the listener and every open connection (so a
 * {@linkplain Answer#silence() silent} connection ends then).
 *
 * <pre>{@code
 * try (TestBackend backend = TestBackend.start()) {
 *     backend.on("/slow", Answer.ok("late").delayHead(Duration.ofSeconds(1)));
 *     backend.then(Answer.reset());            // the next request, whatever its path
 *     ... backend.hostPort() ...              // "127.0.0.1:PORT", for the proxy's config
 *     assertEquals("GET", backend.awaitRequests(1).get(0).method());
 * }
 * }</pre>
 */
public final class TestBackend implements AutoCloseable {

    private final ServerSocket listener;
    private final ExecutorService threads;
    private final Deque<Answer> queued = new ArrayDeque<>();
    private final Map<String, Answer> byPath = new ConcurrentHashMap<>();
    private volatile Answer fallback = Answer.ok("ok");
    private final List<RecordedRequest> received = new CopyOnWriteArrayList<>();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean closed;

    private TestBackend() throws IOException {
        listener = new ServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        AtomicInteger n = new AtomicInteger();
        threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "test-backend-" + listener.getLocalPort() + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        threads.execute(this::acceptLoop);
    }

    /** Binds 127.0.0.1 on a free port and starts accepting. */
    public static TestBackend start() {
        try {
            return new TestBackend();
        } catch (IOException e) {
            throw new IllegalStateException("cannot bind a test backend on 127.0.0.1: " + e, e);
        }
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** {@code 127.0.0.1:PORT}, as backend lists in the proxy's configuration take it. */
    public String hostPort() {
        return "127.0.0.1:" + port();
    }

    /** {@code http://127.0.0.1:PORT}, to call the backend directly. */
    public URI uri() {
        return URI.create("http://" + hostPort());
    }

    /** Answers requests for {@code path} (exact, without the query) with {@code answer}, until changed. */
    public TestBackend on(String path, Answer answer) {
        byPath.put(path, answer);
        return this;
    }

    /** Queues {@code answers} for the next requests, one each, in order, before any per-path answer. */
    public TestBackend then(Answer... answers) {
        synchronized (queued) {
            queued.addAll(List.of(answers));
        }
        return this;
    }

    /** The answer for requests nothing else answers. */
    public TestBackend otherwise(Answer answer) {
        fallback = answer;
        return this;
    }

    /** Every request read so far, oldest first (a snapshot). */
    public List<RecordedRequest> requests() {
        return List.copyOf(received);
    }

    /** Waits (up to {@link Await#DEFAULT}) until at least {@code count} requests have been read; returns them all. */
    public List<RecordedRequest> awaitRequests(int count) {
        return awaitRequests(count, Await.DEFAULT);
    }

    /** As {@link #awaitRequests(int)} with a deadline of its own. */
    public List<RecordedRequest> awaitRequests(int count, Duration deadline) {
        Await.until(count + " request(s) at backend " + hostPort(), deadline, () -> received.size() >= count,
                () -> received.size() + " request(s): " + received);
        return requests();
    }

    /** The last request read. */
    public RecordedRequest lastRequest() {
        if (received.isEmpty()) {
            throw new AssertionError("backend " + hostPort() + " received no request");
        }
        return received.get(received.size() - 1);
    }

    /** Forgets the recorded requests and the queued answers; per-path answers and the default stay. */
    public void clear() {
        received.clear();
        synchronized (queued) {
            queued.clear();
        }
    }

    /** How many connections were accepted so far (connection reuse shows here). */
    public int connectionsAccepted() {
        return accepted.get();
    }

    /** How many accepted connections are still open. */
    public int openConnections() {
        return open.size();
    }

    private Answer answerFor(RecordedRequest request) {
        received.add(request);
        synchronized (queued) {
            Answer next = queued.poll();
            if (next != null) {
                return next;
            }
        }
        Answer forPath = byPath.get(request.path());
        return forPath != null ? forPath : fallback;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            accepted.incrementAndGet();
            open.add(s);
            try {
                threads.execute(() -> {
                    try {
                        new BackendConnection(s, this::answerFor).run();
                    } finally {
                        open.remove(s);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                closeQuietly(s);
                open.remove(s);
            }
        }
    }

    /** Closes the listener and every open connection. Idempotent. */
    @Override
    public void close() {
        closed = true;
        closeQuietly(listener);
        for (Socket s : new ArrayList<>(open)) {
            closeQuietly(s);
        }
        threads.shutdownNow();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing: nothing to do about it
        }
    }

    @Override
    public String toString() {
        return "TestBackend[" + hostPort() + "]";
    }
}
