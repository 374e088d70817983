package dev.turnpike.plugins.ratelimit;

import dev.turnpike.api.metrics.Counter;
import dev.turnpike.api.metrics.PluginMetrics;

/**
 * The metrics of {@code store: redis}, per limiter. The plugin API has counters and gauges but no
 * histogram, so the Redis round trip is a Prometheus-style histogram made of counters: cumulative
 * {@code ratelimit_redis_seconds_bucket} counters labelled {@code le} (exported as
 * {@code turnpike_ratelimit_redis_seconds_bucket_total}), with {@code _sum} and {@code _count}.
 * Every series exists from start, at 0. Recording is lock-free and allocates nothing; any thread.
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

    /** Upper bounds in nanoseconds: 0.1 ms to 1 s. */
    static final long[] BOUNDS = {100_000, 250_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000,
            20_000_000, 50_000_000, 100_000_000, 250_000_000, 1_000_000_000};
    private static final String[] LE = {"0.0001", "0.00025", "0.0005", "0.001", "0.002", "0.005", "0.01",
            "0.02", "0.05", "0.1", "0.25", "1", "+Inf"};

    private final String[] limiter;
    private final String[][] bucketLabels;
    private final String[][] errorLabels;
    private final String[][][] fallbackLabels;
    private final Counter bucket;
    private final Counter sum;
    private final Counter count;
    private final Counter errors;
    private final Counter fallback;

    RedisMetrics(PluginMetrics metrics, String limiterName) {
        limiter = new String[] {limiterName};
        bucket = metrics.counter(LATENCY + "_bucket", "Redis round trips of a rate-limit plugin (store: redis), by"
                + " limiter: cumulative buckets by upper bound in seconds.", "limiter", "le");
        sum = metrics.counter(LATENCY + "_sum", "Redis round trips of a rate-limit plugin: their sum in seconds.", "limiter");
        count = metrics.counter(LATENCY + "_count", "Redis round trips of a rate-limit plugin: how many.", "limiter");
        errors = metrics.counter(ERRORS, "Redis calls of a rate-limit plugin that failed, by limiter and reason"
                + " (timeout, error, disconnected).", "limiter", "reason");
        fallback = metrics.counter(WITHOUT_REDIS, "Requests a rate-limit plugin decided without Redis (by on_error),"
                + " by limiter, reason and decision (allow, deny).", "limiter", "reason", "decision");
        bucketLabels = new String[LE.length][];
        for (int i = 0; i < LE.length; i++) {
            bucketLabels[i] = new String[] {limiterName, LE[i]};
            bucket.add(0, bucketLabels[i]);
        }
        sum.add(0, limiter);
        count.add(0, limiter);
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
        for (int i = 0; i < BOUNDS.length; i++) {
            if (nanos <= BOUNDS[i]) {
                bucket.inc(bucketLabels[i]);
            }
        }
        bucket.inc(bucketLabels[BOUNDS.length]);
        sum.add(Math.max(0, nanos) / 1e9, limiter);
        count.inc(limiter);
    }

    void error(Reason reason) {
        errors.inc(errorLabels[reason.ordinal()]);
    }

    void decidedWithout(Reason reason, boolean allowed) {
        fallback.inc(fallbackLabels[reason.ordinal()][allowed ? 0 : 1]);
    }
}
