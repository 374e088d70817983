package dev.turnpike.plugins.ratelimit;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.netty.resolver.DefaultAddressResolverGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import reactor.core.scheduler.Schedulers;

/**
 * This limiter's connection to Redis: Lettuce (shaded into the plugin jar with its Netty and
 * Reactor) on client resources of its own, made here and ended by {@link #close}, so a plugin swap
 * leaves no thread or connection behind: an I/O thread, a worker thread and a timer thread (the
 * pools' sizes are Lettuce's least, 2, but only the threads used are started: one connection uses
 * one I/O thread, and every call goes through one worker).
 *
 * <h2>Threads</h2>
 * Every call into Lettuce is made on the worker thread, never on a proxy thread: Netty's thread
 * locals (the shaded copy's, whose classes are this plugin's) would otherwise stay in the proxy's
 * event-loop threads and pin the plugin's class loader after a swap. {@link #eval} hands its call
 * to the worker and returns a future completed on the I/O thread: the caller hands the reply back
 * to its own event loop. {@link #close} runs the shutdown on a short-lived thread of its own for the
 * same reason, then joins every thread the resources made; the constructor and {@link #close}
 * clear the shaded Netty's thread locals from the (host) thread that calls them.
 *
 * <h2>Connecting</h2>
 * The first connection is made in the background and retried (50 ms doubling to 2 s) until it
 * succeeds, so a proxy starts while Redis is down; meanwhile {@link #eval} fails at once with
 * {@link NotConnected}. Once connected, Lettuce reconnects by itself (10 ms doubling to 1 s), and
 * commands made while it is disconnected fail at once instead of queueing.
 */
final class RedisLink implements AutoCloseable {

    /** {@link #eval} before the first connection was made, or after {@link #close}. */
    static final class NotConnected extends Exception {
        NotConnected(String why) {
            super(why, null, false, false);
        }
    }

    private static final long RETRY_MIN_MILLIS = 50;
    private static final long RETRY_MAX_MILLIS = 2000;
    /** Commands waiting for Redis at most; beyond, a call fails at once (bounded memory in an outage). */
    private static final int REQUEST_QUEUE = 10_000;
    /** Lettuce's own deadline for an abandoned command, long after the caller's {@code timeout}. */
    private static final Duration COMMAND_DEADLINE = Duration.ofSeconds(5);

    private final RedisSettings settings;
    private final RejectionLog.Sink warn;
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final EventExecutor worker;
    private volatile RedisScriptingAsyncCommands<String, String> commands;
    private volatile StatefulConnection<String, String> connection;
    private volatile boolean closed;
    private final CompletableFuture<Void> firstConnection = new CompletableFuture<>();
    /** The connect attempts' (one at a time, on the worker and Lettuce's I/O thread in turn). */
    private volatile long retryMillis = RETRY_MIN_MILLIS;
    private volatile boolean warnedDown;
    private final String logPrefix;

    RedisLink(RedisSettings settings, String limiter, RejectionLog.Sink warn) {
        this.settings = settings;
        this.warn = warn;
        this.logPrefix = "rate limit " + limiter + ": ";
        String threadPrefix = "turnpike-rate-limit-redis[" + limiter + "]";
        this.resources = ClientResources.builder()
                // Lettuce's least (it raises 1 to 2); threads start only when used: one of each here
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .threadFactoryProvider(pool -> recording(new DefaultThreadFactory(threadPrefix + "-" + pool, true)))
                // The JDK's resolver, run on the I/O thread when connecting: Netty's DNS resolver
                // would add channels and caches of its own to shut down.
                .addressResolverGroup(DefaultAddressResolverGroup.INSTANCE)
                .commandLatencyRecorder(CommandLatencyRecorder.disabled())
                .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
                .build();
        ClientOptions.Builder builder = ClientOptions.builder();
        if (settings.caFile != null) {
            builder.sslOptions(SslOptions.builder().jdkSslProvider().trustManager(settings.caFile.toFile()).build());
        }
        ClientOptions options = builder
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(REQUEST_QUEUE)
                .timeoutOptions(TimeoutOptions.builder().fixedTimeout(COMMAND_DEADLINE).build())
                .build();
        if (settings.topology == RedisSettings.Topology.CLUSTER) {
            RedisClusterClient cluster = RedisClusterClient.create(resources, settings.uris);
            cluster.setOptions(ClusterClientOptions.builder(options)
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder().enableAllAdaptiveRefreshTriggers().build())
                    .build());
            this.client = cluster;
        } else {
            RedisClient single = RedisClient.create(resources);
            single.setOptions(options);
            this.client = single;
        }
        this.worker = resources.eventExecutorGroup().next();
        worker.execute(this::connect);
        // Building the resources gave the calling (host) thread a thread-local map of the shaded
        // Netty; left there it would hold this plugin's class loader after a swap.
        FastThreadLocal.removeAll();
    }

    private ThreadFactory recording(ThreadFactory f) {
        return r -> {
            Thread t = f.newThread(r);
            threads.add(t);
            return t;
        };
    }

    /** Worker thread: one attempt; on failure the next is scheduled. */
    private void connect() {
        if (closed) {
            return;
        }
        CompletionStage<? extends StatefulConnection<String, String>> attempt;
        if (client instanceof RedisClusterClient cluster) {
            // The asynchronous connect needs the slot map first (the blocking one loads it itself).
            attempt = cluster.refreshPartitionsAsync()
                    .thenCompose(loaded -> cluster.connectAsync(StringCodec.UTF8))
                    .thenCompose(RedisLink::withNodeConnections);
        } else {
            attempt = ((RedisClient) client).connectAsync(StringCodec.UTF8, settings.uris.get(0));
        }
        attempt.whenComplete((c, ex) -> {
            if (ex != null) {
                firstConnection.completeExceptionally(ex); // start() waits no longer (no-op once connected)
                if (!warnedDown) {
                    warnedDown = true;
                    warn.warn(logPrefix + "cannot connect to Redis at " + settings.uriForLog + " (" + rootMessage(ex)
                            + "); deciding by on_error: " + settings.onError.name().toLowerCase() + " until it answers,"
                            + " retrying in the background (logged once until connected)");
                }
                long delay = retryMillis;
                retryMillis = Math.min(RETRY_MAX_MILLIS, retryMillis * 2);
                try {
                    worker.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException closing) {
                    // closed meanwhile
                }
                return;
            }
            if (closed) {
                c.closeAsync();
                return;
            }
            connection = c;
            commands = c instanceof StatefulRedisClusterConnection<String, String> cc ? cc.async()
                    : ((StatefulRedisConnection<String, String>) c).async();
            firstConnection.complete(null);
            if (warnedDown) {
                warn.warn(logPrefix + "connected to Redis at " + settings.uriForLog);
            }
        });
    }

    /**
     * A cluster connection once it holds a connection to every node: Lettuce opens those on a
     * slot's first command, and with commands refused while disconnected that first command would
     * fail (and be decided by on_error) on every node.
     */
    private static CompletionStage<StatefulRedisClusterConnection<String, String>> withNodeConnections(
            StatefulRedisClusterConnection<String, String> c) {
        List<CompletableFuture<?>> opening = new ArrayList<>();
        for (RedisClusterNode node : c.getPartitions()) {
            // by address: that is how the slot path looks its connections up
            opening.add(c.getConnectionAsync(node.getUri().getHost(), node.getUri().getPort()));
        }
        return CompletableFuture.allOf(opening.toArray(CompletableFuture[]::new)).thenApply(all -> c);
    }

    /**
     * Runs {@code script} on {@code key} ({@code EVALSHA}, and {@code EVAL} once when Redis does not
     * have it yet). Any thread; returns at once. The future completes on Lettuce's I/O thread with
     * the script's reply (a list of longs), or exceptionally: {@link NotConnected}, or Lettuce's
     * error. Lettuce gives up on it only after 5 s: the caller bounds its own wait.
     */
    CompletableFuture<List<Object>> eval(RedisScript script, String key, String... args) {
        CompletableFuture<List<Object>> out = new CompletableFuture<>();
        try {
            worker.execute(() -> evalOnWorker(script, key, args, out));
        } catch (RejectedExecutionException e) {
            out.completeExceptionally(new NotConnected("the Redis client is closed"));
        }
        return out;
    }

    private void evalOnWorker(RedisScript script, String key, String[] args, CompletableFuture<List<Object>> out) {
        RedisScriptingAsyncCommands<String, String> c = commands;
        if (c == null || closed) {
            out.completeExceptionally(new NotConnected(closed ? "the Redis client is closed" : "not connected to Redis yet"));
            return;
        }
        String[] keys = {key};
        c.<List<Object>>evalsha(script.sha1, ScriptOutputType.MULTI, keys, args).whenComplete((reply, ex) -> {
            if (ex != null && (ex instanceof RedisNoScriptException || ex.getCause() instanceof RedisNoScriptException)) {
                // First use on this server (or after SCRIPT FLUSH / a restart): EVAL caches it.
                c.<List<Object>>eval(script.source, ScriptOutputType.MULTI, keys, args).whenComplete((r, e) -> complete(out, r, e));
            } else {
                complete(out, reply, ex);
            }
        });
    }

    private static void complete(CompletableFuture<List<Object>> out, List<Object> reply, Throwable ex) {
        if (ex != null) {
            out.completeExceptionally(ex);
        } else {
            out.complete(reply);
        }
    }

    /** Runs {@code task} on the worker thread every {@code period} until {@link #close}; it must not block. */
    void every(Duration period, Runnable task) {
        long nanos = period.toNanos();
        worker.scheduleWithFixedDelay(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                warn.warn(logPrefix + "a periodic Redis task failed: " + e);
            }
        }, nanos, nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Waits at most {@code limit} for the first connection (management thread, in {@code start}):
     * an instance that starts on a reload then decides with Redis from its first request instead
     * of by {@code on_error}. Returns early, whatever the outcome, when Redis is not there.
     *
     * @return whether it is connected
     */
    boolean awaitFirstConnection(Duration limit) {
        try {
            firstConnection.get(limit.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Whether a connection was made (Lettuce may be reconnecting it now). */
    boolean connectedOnce() {
        return connection != null;
    }

    /** Whether the connection is up now, as Lettuce knows it (tests wait on it after stopping Redis). */
    boolean connectedNow() {
        StatefulConnection<String, String> c = connection;
        return c != null && c.isOpen();
    }

    /** The threads the client's resources made, for tests. */
    List<Thread> threads() {
        return List.copyOf(threads);
    }

    /**
     * Closes the connection and the client, shuts the resources down and joins their threads; at
     * most about 10 s in all. Management thread (the plugin's {@code stop}).
     */
    @Override
    public void close() {
        closed = true;
        Thread closer = new Thread(this::shutDown, "turnpike-rate-limit-redis-close");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(TimeUnit.SECONDS.toMillis(10));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            for (Thread t : threads) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left > 0) {
                    t.join(left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        threads.removeIf(t -> !t.isAlive());
        FastThreadLocal.removeAll();
    }

    private void shutDown() {
        try {
            StatefulConnection<String, String> c = connection;
            connection = null;
            commands = null;
            if (c != null) {
                c.close();
            }
            client.shutdown(0, 2, TimeUnit.SECONDS);
            resources.shutdown(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            warn.warn(logPrefix + "closing the Redis client: " + e);
        } finally {
            // The shaded Reactor is this plugin's own: its global schedulers (if anything started
            // one) would otherwise keep threads, and so this class loader, alive.
            Schedulers.shutdownNow();
            FastThreadLocal.removeAll();
        }
    }

    static String rootMessage(Throwable ex) {
        Throwable t = ex;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }
}
