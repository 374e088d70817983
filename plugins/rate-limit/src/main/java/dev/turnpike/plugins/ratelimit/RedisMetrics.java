package dev.turnpike.plugins.ratelimit;

import dev.turnpike.api.metrics.Counter;
import dev.turnpike.api.metrics.Histogram;
import dev.turnpike.api.metrics.PluginMetrics;

/**
 * The metrics of {@code store: redis}, per limiter: the Redis round trip as a histogram
 * ({@code turnpike_ratelimit_redis_seconds_bucket/_sum/_count}), errors and decisions made without
 * Redis. The counters' series exist from start, at 0. Recording is lock-free; any thread.
 */
final class RedisMetrics {

    /** Why a decision was made without Redis. */
    enum Reason {
        /** No reply within {@code timeout}. */
        TIMEOUT,
        /** Redis answered with an error, or the connection failed under the call. */
        ERROR,
        /** Not connected (before the first connection, or while Lettuce reconnects). */
        DISCONNECTED;

        final String label = name().toLowerCase();
    }

    static final String LATENCY = "ratelimit_redis_seconds";
    static final String ERRORS = "ratelimit_redis_errors_total";
    static final String WITHOUT_REDIS = "ratelimit_redis_fallback_total";

    /** Upper bounds in seconds: 0.1 ms to 1 s. */
    static final double[] BOUNDS = {0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1};

    private final String[] limiter;
    private final String[][] errorLabels;
    private final String[][][] fallbackLabels;
    private final Histogram latency;
    private final Counter errors;
    private final Counter fallback;

    RedisMetrics(PluginMetrics metrics, String limiterName) {
        limiter = new String[] {limiterName};
        latency = metrics.histogram(LATENCY, "Redis round trips of a rate-limit plugin (store: redis), answered or"
                + " failed, by limiter.", BOUNDS, "limiter");
        errors = metrics.counter(ERRORS, "Redis calls of a rate-limit plugin that failed, by limiter and reason"
                + " (timeout, error, disconnected).", "limiter", "reason");
        fallback = metrics.counter(WITHOUT_REDIS, "Requests a rate-limit plugin decided without Redis (by on_error),"
                + " by limiter, reason and decision (allow, deny).", "limiter", "reason", "decision");
        Reason[] reasons = Reason.values();
        errorLabels = new String[reasons.length][];
        fallbackLabels = new String[reasons.length][2][];
        for (Reason r : reasons) {
            errorLabels[r.ordinal()] = new String[] {limiterName, r.label};
            errors.add(0, errorLabels[r.ordinal()]);
            fallbackLabels[r.ordinal()][0] = new String[] {limiterName, r.label, "allow"};
            fallbackLabels[r.ordinal()][1] = new String[] {limiterName, r.label, "deny"};
        }
    }

    /** One round trip that took {@code nanos}, answered or failed. */
    void roundTrip(long nanos) {
        latency.observe(Math.max(0, nanos) / 1e9, limiter);
    }

    void error(Reason reason) {
        errors.inc(errorLabels[reason.ordinal()]);
    }

    void decidedWithout(Reason reason, boolean allowed) {
        fallback.inc(fallbackLabels[reason.ordinal()][allowed ? 0 : 1]);
    }
}
