package dev.turnpike.plugins.ratelimit;

/**
 * A token bucket of {@code burst} tokens refilled at {@code refill_per_second}, kept as one number
 * per key: the time at which the bucket will be full again (the "theoretical arrival time" of the
 * generic cell rate algorithm, which is the same bucket expressed in time). With an interval of
 * {@code T = 1 s / refill} per token and a capacity of {@code F = burst × T}:
 * <ul>
 *   <li>a request at {@code now} takes a token iff {@code max(full, now) + T - now <= F}, and then
 *       {@code full = max(full, now) + T};</li>
 *   <li>the tokens left are {@code (F - (full - now)) / T}, rounded down;</li>
 *   <li>a rejected request could have passed {@code max(full, now) + T - F - now} later.</li>
 * </ul>
 * Integer nanoseconds throughout, so there is no floating-point drift: burst 10 at 0.5/s gives
 * exactly 10 requests at once and exactly one more every 2 s. A fractional interval is rounded to the
 * nanosecond (at 3/s, {@code T} = 333,333,333 ns).
 */
final class TokenBucket implements Policy<TokenBucket.Bucket> {

    /** One key's bucket: 32 bytes with the object header. */
    static final class Bucket extends KeyState {
        /** When the bucket is (or was) full again; at or before now: full. */
        long full;
    }

    private final long burst;
    private final long interval;
    private final long capacity;
    private final double refillPerSecond;

    /**
     * @param burst            tokens the bucket holds, at least 1
     * @param refillPerSecond  tokens added per second, more than 0
     * @throws IllegalArgumentException when the numbers do not fit (checked by {@link Settings} first)
     */
    TokenBucket(long burst, double refillPerSecond) {
        if (burst < 1 || !(refillPerSecond > 0)) {
            throw new IllegalArgumentException("burst " + burst + ", refill " + refillPerSecond);
        }
        long t = Math.round(Decision.NANOS_PER_SECOND / refillPerSecond);
        if (t < 1 || (double) burst * t > Settings.MAX_REFILL_NANOS) {
            throw new IllegalArgumentException("burst " + burst + " at " + refillPerSecond + "/s does not fit");
        }
        this.burst = burst;
        this.interval = t;
        this.capacity = burst * t;
        this.refillPerSecond = refillPerSecond;
    }

    /** Nanoseconds per token. */
    long interval() {
        return interval;
    }

    @Override
    public Bucket newState(long now) {
        Bucket b = new Bucket();
        b.full = now;
        return b;
    }

    @Override
    public void acquire(Bucket b, long now, Decision d) {
        d.limit = burst;
        long base = b.full - now > 0 ? b.full : now;
        long next = base + interval;
        if (next - now <= capacity) {
            b.full = next;
            d.allowed = true;
            d.remaining = (capacity - (next - now)) / interval;
            d.resetNanos = next - now;
            d.retryAfterNanos = 0;
        } else {
            d.allowed = false;
            d.remaining = 0;
            d.resetNanos = base - now;
            d.retryAfterNanos = next - capacity - now;
        }
    }

    @Override
    public boolean isIdle(Bucket b, long now) {
        return b.full - now <= 0;
    }

    @Override
    public String describe() {
        return "token bucket: burst " + burst + ", refill " + refillPerSecond + "/s";
    }
}
