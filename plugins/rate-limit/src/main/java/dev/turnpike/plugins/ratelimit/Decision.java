package dev.turnpike.plugins.ratelimit;

/**
 * What the limiter decided for one request, and the numbers its headers carry. Also the plugin's
 * per-request context when {@code headers: true}: {@code request_filter} fills it and
 * {@code response_filter} copies the numbers onto the backend's response. Owned by one request on
 * one event loop; not thread-safe.
 */
public final class Decision {

    static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** Whether a key applied to the request at all (false: not subject to this limiter). */
    boolean applied;
    boolean allowed;
    /** The key the request was counted under. */
    String key;
    long limit;
    long remaining;
    /** Until the whole limit is available again. */
    long resetNanos;
    /** Rejected only: until this request would have been allowed. */
    long retryAfterNanos;
    /** Rejected only: the first rejection of this key within a second, to be logged. */
    boolean warn;
    /** store: redis with sync_interval: not decided locally (the key's shared state is not known here yet). */
    boolean deferred;

    /** Whether a key applied to the request (false: this limiter let it through unexamined). */
    public boolean applied() {
        return applied;
    }

    public boolean allowed() {
        return allowed;
    }

    public String key() {
        return key;
    }

    /** {@code burst} or {@code max_requests}. */
    public long limit() {
        return limit;
    }

    /** Requests the key may still make right now. */
    public long remaining() {
        return remaining;
    }

    /** Seconds (rounded up) until the whole limit is available again. */
    public long resetSeconds() {
        return ceilSeconds(resetNanos);
    }

    /** Seconds (rounded up, at least 1) until a rejected request would be allowed. */
    public long retryAfterSeconds() {
        return Math.max(1, ceilSeconds(retryAfterNanos));
    }

    static long ceilSeconds(long nanos) {
        return nanos <= 0 ? 0 : (nanos - 1) / NANOS_PER_SECOND + 1;
    }

    @Override
    public String toString() {
        return (applied ? (allowed ? "allowed " : "rejected ") + key : "not applied")
                + " limit=" + limit + " remaining=" + remaining + " reset=" + resetSeconds() + "s"
                + (applied && !allowed ? " retry-after=" + retryAfterSeconds() + "s" : "");
    }
}
