package dev.turnpike.plugins.ratelimit;

import dev.turnpike.api.EventLoopExecutor;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Response;
import io.lettuce.core.RedisConnectionException;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * {@code store: redis}: one limiter's decisions made by a Lua script on Redis, so every proxy that
 * shares the Redis shares the counts.
 *
 * <h2>One decision</h2>
 * {@link #acquire} starts the script call and returns {@link Outcome#later} at once; the stage is
 * completed on the request's event loop, by whichever comes first of the reply (handed back from
 * Lettuce's I/O thread) and a timer of {@code timeout} scheduled on that loop. Both run on the loop,
 * so the first settles the stage and the other finds it done: the decision is never later than
 * {@code timeout} after the request reached the plugin (plus the loop's own queue). Without a reply
 * (timeout, error, no connection) {@code on_error} decides: proceed, or 503 with
 * {@code Retry-After: 1}; the decision is counted and logged (throttled). A late reply is still
 * measured, but changes nothing.
 *
 * <p>With {@code sync_interval}, {@link SyncedCounts} decides most requests locally and at once
 * (no {@code later}); only a key's first request goes through the path above.
 */
final class RemoteLimiter {

    static final int DENY_STATUS = 503;
    /** Immutable and the same for every request: built once. */
    private static final Response UNAVAILABLE = Response.status(DENY_STATUS)
            .header("Retry-After", "1")
            .body("Service Unavailable: the rate limit cannot be checked\n")
            .build();

    private final RedisLink link;
    private final RemotePolicy policy;
    private final RedisSettings settings;
    private final RedisMetrics metrics;
    private final FallbackLog log;
    private final SyncedCounts synced;
    private final Function<Decision, Outcome> verdict;
    private final String keyStart;
    private final Clock clock;
    private final long timeoutNanos;
    /** Members of the sliding window's sets must be unique across the fleet: a random process part and a count. */
    private final String memberPrefix = Long.toHexString(ThreadLocalRandom.current().nextLong()) + ":";
    private final AtomicLong calls = new AtomicLong();

    RemoteLimiter(RedisLink link, RemotePolicy policy, RedisSettings settings, String limiter, RedisMetrics metrics,
                  FallbackLog log, SyncedCounts synced, Function<Decision, Outcome> verdict, Clock clock) {
        this.link = link;
        this.policy = policy;
        this.settings = settings;
        this.metrics = metrics;
        this.log = log;
        this.synced = synced;
        this.verdict = verdict;
        this.keyStart = settings.keyPrefix + "{" + limiter + ":";
        this.clock = clock;
        this.timeoutNanos = settings.timeout.toNanos();
    }

    /**
     * The Redis key of a limiter's key: {@code <key_prefix>{<limiter>:<key>}}. The braces are a
     * Redis Cluster hash tag, so one key's state lives on one slot whatever the key holds.
     */
    String redisKey(String key) {
        return keyStart + key + "}";
    }

    /** Event loop {@code loop}: decides {@code key}'s request, filling {@code d}. */
    Outcome acquire(String key, Decision d, EventLoopExecutor loop) {
        if (synced != null) {
            synced.tryLocal(key, d);
            if (!d.deferred) {
                return verdict.apply(d);
            }
        }
        Call call = new Call(key, d, loop);
        call.start();
        return Outcome.later(call.stage);
    }

    /** One request's call: its state is touched on the request's event loop only. */
    private final class Call {
        final String key;
        final Decision d;
        final EventLoopExecutor loop;
        final CompletableFuture<Outcome> stage = new CompletableFuture<>();
        final long started = clock.nanoTime();
        ScheduledFuture<?> timer;

        Call(String key, Decision d, EventLoopExecutor loop) {
            this.key = key;
            this.d = d;
            this.loop = loop;
        }

        void start() {
            timer = loop.schedule(this::timedOut, timeoutNanos, TimeUnit.NANOSECONDS);
            link.eval(policy.script(), redisKey(key), policy.args(1, false, member())).whenComplete(this::replied);
        }

        /** Lettuce's I/O thread (or the caller's, when the call failed at once). */
        private void replied(List<Object> reply, Throwable error) {
            if (!(error instanceof RedisLink.NotConnected)) {
                metrics.roundTrip(clock.nanoTime() - started);
            }
            try {
                loop.execute(() -> settle(reply, error));
            } catch (RejectedExecutionException shuttingDown) {
                // the loop is closing: its requests are being ended anyway
            }
        }

        private void timedOut() {
            if (!stage.isDone()) {
                metrics.error(RedisMetrics.Reason.TIMEOUT);
                without(RedisMetrics.Reason.TIMEOUT, "after " + Settings.formatNanos(timeoutNanos));
            }
        }

        private void settle(List<Object> reply, Throwable error) {
            if (stage.isDone()) {
                return;
            }
            timer.cancel(false);
            if (error != null) {
                RedisMetrics.Reason reason = reasonOf(error);
                metrics.error(reason);
                without(reason, RedisLink.rootMessage(error));
                return;
            }
            try {
                policy.fill(reply, d);
            } catch (IllegalStateException e) {
                metrics.error(RedisMetrics.Reason.ERROR);
                without(RedisMetrics.Reason.ERROR, e.getMessage());
                return;
            }
            d.applied = true;
            d.key = key;
            d.warn = !d.allowed;
            if (synced != null) {
                synced.seed(key, d);
            }
            stage.complete(verdict.apply(d));
        }

        private void without(RedisMetrics.Reason reason, String detail) {
            boolean allow = settings.onError == RedisSettings.OnError.ALLOW;
            metrics.decidedWithout(reason, allow);
            log.decidedWithout(reason, detail);
            d.applied = false;
            stage.complete(allow ? Outcome.proceed() : Outcome.respond(UNAVAILABLE));
        }
    }

    static RedisMetrics.Reason reasonOf(Throwable error) {
        Throwable t = error;
        while (t != null) {
            String m = t.getMessage() == null ? "" : t.getMessage();
            // Lettuce says "Currently not connected" while it reconnects, "Connection closed" for
            // the commands a dropped connection leaves unanswered; a reset comes as an IOException.
            if (t instanceof RedisLink.NotConnected || t instanceof RedisConnectionException || t instanceof IOException
                    || m.contains("not connected") || m.contains("Connection closed")) {
                return RedisMetrics.Reason.DISCONNECTED;
            }
            t = t.getCause() == t ? null : t.getCause();
        }
        return RedisMetrics.Reason.ERROR;
    }

    /** {@code on_error: deny}: the limit cannot be checked, which is the service's fault, not the client's. */
    static Response unavailable() {
        return UNAVAILABLE;
    }

    /** One flush of {@link SyncedCounts}: every batch at once (Lettuce pipelines them). Redis worker thread. */
    void flush() {
        for (SyncedCounts.Batch b : synced.takeBatches()) {
            long started = clock.nanoTime();
            link.eval(policy.script(), redisKey(b.key()), policy.args(b.n(), true, member())).whenComplete((reply, error) -> {
                if (!(error instanceof RedisLink.NotConnected)) {
                    metrics.roundTrip(clock.nanoTime() - started);
                }
                Decision d = new Decision();
                if (error == null) {
                    try {
                        policy.fill(reply, d);
                        synced.flushed(b.key(), d);
                        return;
                    } catch (IllegalStateException e) {
                        error = e;
                    }
                }
                metrics.error(reasonOf(error));
                synced.flushFailed(b.key());
            });
        }
    }

    private String member() {
        return memberPrefix + calls.incrementAndGet();
    }
}
